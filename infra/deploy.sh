#!/usr/bin/env bash
# Deploys or updates one organisation's Meshport stack from its config file (samconfig format, see
# infra/orgs/example-acme.toml), then uploads the portal and refreshes the CDN:
#
#   infra/deploy.sh infra/orgs/<org>.toml             build (infra/build.sh), deploy, upload frontend/dist, invalidate
#   infra/deploy.sh infra/orgs/<org>.toml --no-build  the same with the artifact and dist/ already built
#   infra/deploy.sh infra/orgs/<org>.toml --delete    empty the portal bucket and delete the stack (the catalog
#                                                      table is kept: it is retained and deletion-protected)
#
# Needs the AWS SAM CLI and the AWS CLI (`pip install aws-sam-cli awscli`) and credentials for the organisation's
# account in any form the AWS CLI accepts (AWS_PROFILE, SSO, environment variables).
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"
cd "$MESHPORT_ROOT"

[ $# -ge 1 ] && [ -f "$1" ] || die "usage: infra/deploy.sh <org-config.toml> [--no-build|--delete]"
config=$(realpath "$1")
mode=${2:-deploy}
command -v sam >/dev/null 2>&1 || die "the AWS SAM CLI is missing: pip install aws-sam-cli"
command -v aws >/dev/null 2>&1 || die "the AWS CLI is missing: pip install awscli"

# stack_name and region, as SAM reads them from the same file.
read -r stack region < <(python3 - "$config" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    parameters = tomllib.load(f)["default"]["global"]["parameters"]
print(parameters["stack_name"], parameters["region"])
PY
)
output() {
  aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

if [ "$mode" = "--delete" ]; then
  bucket=$(output PortalBucketName)
  log "emptying s3://$bucket and deleting stack $stack ($region)"
  aws s3 rm "s3://$bucket" --recursive --region "$region" --only-show-errors
  sam delete --config-file "$config" --stack-name "$stack" --region "$region" --no-prompts
  log "deleted; the catalog table $(aws dynamodb list-tables --region "$region" --output text \
    --query "TableNames[?contains(@, '$stack-CatalogTable')]") is kept (disable its deletion protection to remove it)"
  exit 0
fi

case "$mode" in
  deploy) bash infra/build.sh all ;;
  --no-build) ;;
  *) die "unknown option $mode: use --no-build or --delete" ;;
esac
[ -f infra/.build/meshport.zip ] || die "infra/.build/meshport.zip is missing: run infra/build.sh"
[ -f frontend/dist/index.html ] || die "frontend/dist is missing: run infra/build.sh portal"

log "deploying stack $stack ($region)"
(cd infra && sam deploy --config-file "$config" --template-file template.json)

bucket=$(output PortalBucketName)
distribution=$(output DistributionId)
log "uploading the portal to s3://$bucket"
# trunk names every asset by its content hash, so assets are cached for good. Each bundle's index.html (Discover's,
# Studio's in studio/, Manage's in studio/manage/, Access's in studio/access/) names the assets of its build, so it
# is revalidated each time: a cached one would name files the next deploy deletes.
aws s3 sync frontend/dist "s3://$bucket/" --region "$region" --delete --only-show-errors \
  --exclude '*index.html' --exclude '*.wasm' --cache-control "public, max-age=31536000, immutable"
aws s3 sync frontend/dist "s3://$bucket/" --region "$region" --delete --only-show-errors \
  --exclude '*' --include '*.wasm' --content-type application/wasm --cache-control "public, max-age=31536000, immutable"
for page in index.html studio/index.html studio/manage/index.html studio/access/index.html; do
  aws s3 cp "frontend/dist/$page" "s3://$bucket/$page" --region "$region" --only-show-errors \
    --content-type "text/html; charset=utf-8" --cache-control "no-cache"
done
aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*' --output text \
  --query 'Invalidation.Id' >/dev/null
log "Meshport of $stack: $(output PortalUrl)"
