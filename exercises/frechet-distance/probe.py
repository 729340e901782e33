"""Calls the learner's frechet_distance inside the sandbox on NumPy float64 arrays and records the float it returns.

The harness carries tensors only, so the inputs arrive as float64 tensors. They are handed over as
NumPy arrays that share their memory, so the tensors after the call show any in-place change.
A result that is not a float (a complex number, an array, a tensor) is recorded by its type name only.
"""

ARGUMENTS = ("mu1", "sigma1", "mu2", "sigma2")


def run(module, inputs, params):
    arrays = [inputs[name].numpy() for name in ARGUMENTS]
    distance = module.frechet_distance(*arrays)

    outputs = {}
    # numpy.float64 subclasses float, so it is accepted, unlike numpy.complex128, numpy.float32 and arrays.
    if isinstance(distance, float):
        outputs["distance"] = float(distance)
    else:
        outputs["distance.type"] = type(distance).__qualname__
    for name in ARGUMENTS:
        outputs["after." + name] = inputs[name]
    return outputs
