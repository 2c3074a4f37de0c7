#!/usr/bin/env bash
# Attaches to one pushed image digest what a deployer checks before running it: a CycloneDX
# SBOM of the npm packages the app's bundle holds (sbom.mjs) and SLSA provenance of its build
# (provenance.mjs), both as signed in-toto attestations, and a cosign signature. For a
# multi-platform image (a manifest list) they go on the list and on every platform's digest in
# it, so whichever digest a deployer resolves is signed; the bundle, and so the SBOM, is the
# same on every platform. (cosign's --recursive signs the platforms but does not attest them.)
#   tools/container/attest.sh REPOSITORY@sha256:<digest> APP
# Signing: with COSIGN_KEY (a key file or KMS URI; COSIGN_PASSWORD unlocks it) cosign signs with
# that key pair and writes nothing to the public transparency log (local tests, air-gapped
# registries); without it cosign signs keyless with the workflow's GitHub OIDC identity
# (a Fulcio certificate, logged in Rekor). Needs the app's build output (dist/apps/APP/meta.json).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "attest: $*" >&2; exit 2; }

[ $# -eq 2 ] || die "usage: attest.sh REPOSITORY@sha256:<digest> APP"
ref=$1 app=$2
[[ $ref == *@sha256:* ]] || die "$ref: give the image by digest (REPOSITORY@sha256:...), a tag can move"
command -v cosign >/dev/null || die "cosign not found (tools/container/toolchain.sh installs it)"
docker buildx version >/dev/null 2>&1 || die "docker buildx not found (tools/container/toolchain.sh installs it); it lists the platforms of a manifest list"

flags=(--yes)
if [ -n "${COSIGN_KEY:-}" ]; then flags+=(--key "$COSIGN_KEY" --tlog-upload=false); fi
# a registry on loopback speaks plain HTTP (tools/container/toolchain.sh starts one)
case ${ref%%/*} in 127.* | localhost | localhost:*) flags+=(--allow-http-registry) ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the digest given, then every platform's digest when it is a manifest list / OCI index
repository=${ref%@*}
mapfile -t digests < <(docker buildx imagetools inspect --raw "$ref" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log([process.argv[1], ...(m.manifests ?? []).map((p) => p.digest)].join("\n"));' "${ref##*@}")
node "$here/provenance.mjs" "$app" >"$work/provenance.json"
for digest in "${digests[@]}"; do
  target=$repository@$digest
  node "$here/sbom.mjs" "$app" --version="$digest" >"$work/sbom.cdx.json"
  cosign attest "${flags[@]}" --type cyclonedx --predicate "$work/sbom.cdx.json" "$target" >"$work/log" 2>&1 || { cat "$work/log" >&2; die "SBOM attestation of $target failed"; }
  cosign attest "${flags[@]}" --type slsaprovenance1 --predicate "$work/provenance.json" "$target" >"$work/log" 2>&1 || { cat "$work/log" >&2; die "provenance attestation of $target failed"; }
  cosign sign "${flags[@]}" "$target" >"$work/log" 2>&1 || { cat "$work/log" >&2; die "signing $target failed"; }
done
echo "attest: $ref signed$([ ${#digests[@]} -gt 1 ] && echo " with its $((${#digests[@]} - 1)) platforms"), with an SBOM ($(node -p "require('$work/sbom.cdx.json').components.length") npm packages) and provenance"
