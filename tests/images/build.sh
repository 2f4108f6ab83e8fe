#!/usr/bin/env bash
# Build the local test image cargobay-test/busybox:latest FROM scratch.
#
# The image holds Debian's statically linked busybox as /bin/busybox, /bin/sh and the
# other applets as symlinks to it, a /tmp, and an /etc/passwd + /etc/group with root and
# nobody. Nothing is pulled from any registry: the build context is made here from the
# host's /bin/busybox (package busybox-static) and the build step runs with no network.
#
# Idempotent: the image carries the sha256 of the busybox it was built from as a label,
# and is rebuilt only when that label is missing or differs.
set -euo pipefail

IMAGE="${CARGOBAY_TEST_IMAGE:-cargobay-test/busybox:latest}"
BUSYBOX=/bin/busybox

if [ ! -x "$BUSYBOX" ]; then
    echo "build.sh: $BUSYBOX missing (apt-get install -y busybox-static)" >&2
    exit 1
fi
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q "statically linked" \
        && ldd "$BUSYBOX" >/dev/null 2>&1; then
    echo "build.sh: $BUSYBOX is not statically linked (install busybox-static)" >&2
    exit 1
fi

sum="$(sha256sum "$BUSYBOX" | cut -d' ' -f1)"
have="$(docker image inspect --format '{{ index .Config.Labels "cargobay.busybox-sha256" }}' \
    "$IMAGE" 2>/dev/null || true)"
if [ "$have" = "$sum" ]; then
    echo "build.sh: $IMAGE is up to date"
    exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp"
cp "$BUSYBOX" "$ctx/rootfs/bin/busybox"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/chmod", "1777", "/tmp"]
LABEL cargobay.busybox-sha256="$sum"
ENV PATH=/bin
CMD ["/bin/sh"]
DOCKERFILE

echo "build.sh: building $IMAGE"
docker build --network=none --quiet -t "$IMAGE" "$ctx" >/dev/null
docker run --rm --network=none "$IMAGE" sh -c 'echo build.sh: image ok: $(busybox | head -n 1)'
