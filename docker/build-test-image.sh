#!/usr/bin/env bash
# Build the Docker image that the tests run sandboxes in, from an empty root
# file system, so no registry is needed. The image holds only empty folders, a
# few symlinks into /usr and the passwd and group entries of "nobody". The
# docker backend bind-mounts the host's /usr, the Python runtime and the
# harness into it read-only at run time. Safe to run again: it does nothing
# when the image exists, unless --force is given.
#
# Usage: docker/build-test-image.sh [--force] [IMAGE]
set -euo pipefail

FORCE=0
if [ "${1:-}" = "--force" ]; then
    FORCE=1
    shift
fi
# Bump the tag whenever the file system below changes.
IMAGE="${1:-tensorcraft-sandbox-test:2}"

if [ "$FORCE" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE already exists"
    exit 0
fi

ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT

# /bin, /lib and /lib64 point into /usr as on a merged-/usr Debian. /sbin stays a
# real folder because the engine mounts its init process at /sbin/docker-init,
# and that mount point cannot be created through a symlink into the read-only /usr.
mkdir -p "$ROOTFS"/{usr,sbin,etc,tmp,proc,sys,dev,root,job/in,job/out,harness}
ln -s usr/bin "$ROOTFS/bin"
ln -s usr/lib "$ROOTFS/lib"
ln -s usr/lib64 "$ROOTFS/lib64"
chmod 1777 "$ROOTFS/tmp"
chmod 0755 "$ROOTFS/root"
cat > "$ROOTFS/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin
PASSWD
cat > "$ROOTFS/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

tar --numeric-owner --owner=0 --group=0 -C "$ROOTFS" -cf - . \
    | docker import \
        --change 'USER 65534:65534' \
        --change 'WORKDIR /tmp' \
        --change 'LABEL org.tensorcraft.sandbox-image=test' \
        --message "tensorcraft sandbox test image (empty root, host runtime mounted at run time)" \
        - "$IMAGE" >/dev/null
echo "built $IMAGE"
