# The production sandbox image: Python, torch with CUDA, safetensors, numpy and the harness.
#
# Build from the repository root:
#   docker build -f docker/sandbox.Dockerfile -t tensorcraft-sandbox:1 .
# and point the workers at it with TENSORCRAFT_SANDBOX_IMAGE=tensorcraft-sandbox:1.
#
# NOTE: this file has never been built in this repository's CI, whose machines
# cannot pull images; the tests use the image of docker/build-test-image.sh.
# The base tag below is a placeholder of the usual pytorch/pytorch tag form:
# choose the tag whose torch version equals the one pinned in pyproject.toml.
ARG BASE_IMAGE=pytorch/pytorch:2.13.0-cuda12.8-cudnn9-runtime
FROM ${BASE_IMAGE}

# The same versions as pyproject.toml, so that the harness writes what the trusted side reads.
RUN python -m pip install --no-cache-dir safetensors==0.8.0 numpy==2.4.6

# The harness is the only part of the repository inside the image.
COPY grader/harness/harness.py grader/harness/protocol.py /harness/

LABEL org.tensorcraft.sandbox-image="production"
ENV PYTHONDONTWRITEBYTECODE=1 \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1
WORKDIR /tmp
# The docker backend passes --user 65534:65534 as well; this line covers anyone who runs the image by hand.
USER 65534:65534
