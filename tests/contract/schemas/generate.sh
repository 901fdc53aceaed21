#!/bin/sh
# Regenerates discord-api-types.schema.json from the npm package discord-api-types (MIT).
# Run once by hand, NOT in CI; see README.md. Needs Node 18+ and npm.
#   tests/contract/schemas/generate.sh            # writes beside this script
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund discord-api-types@0.38.57 ts-json-schema-generator@2.10.0 typescript@5 >/dev/null
npx ts-json-schema-generator --path node_modules/discord-api-types/v10.d.ts \
  --no-type-check --expose export --jsDoc none --additional-properties \
  --type GatewayHelloData GatewayReadyDispatchData GatewayResumedDispatch GatewayGuildCreateDispatchData \
    GatewayInteractionCreateDispatchData GatewayMessageCreateDispatchData GatewayMessageUpdateDispatchData \
    GatewayMessageDeleteDispatchData GatewayChannelCreateDispatchData GatewayChannelUpdateDispatchData \
    GatewayChannelDeleteDispatchData GatewayThreadCreateDispatchData GatewayThreadUpdateDispatchData \
    GatewayGuildRoleCreateDispatchData GatewayGuildMemberAddDispatchData GatewayGuildMembersChunkDispatchData \
    GatewayGuildDeleteDispatchData \
    APIMessage APIChannel APIUser APIApplicationCommand RESTGetAPIGatewayBotResult \
    RESTGetAPIChannelMessagesResult RESTGetAPIOAuth2CurrentApplicationResult \
    RESTPostAPIInteractionCallbackWithResponseResult \
  -o "$HERE/discord-api-types.schema.json"
cp node_modules/discord-api-types/LICENSE "$HERE/LICENSE"
python3 "$HERE/postprocess.py" "$HERE/discord-api-types.schema.json"
rm -rf "$WORK"
