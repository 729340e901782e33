"""The in-sandbox harness. Its files run inside the sandbox and import only the standard library, torch and safetensors."""
