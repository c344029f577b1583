# catalog-lint: the GitHub Action's container (entry point `catalog-lint action`) and the webhook
# server's (`catalog-lint serve`). The binary is built by .ci/build, the same script CI runs.
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY server/go.mod server/go.sum ./server/
RUN cd server && go mod download
COPY . .
ARG VERSION=dev
RUN sh .ci/build /out/catalog-lint "$VERSION"

FROM alpine:3.22
# CA certificates for Sentry and GitHub over HTTPS; git for the Action's only-changed input.
RUN apk add --no-cache ca-certificates git
COPY --from=build /out/catalog-lint /usr/local/bin/catalog-lint
# No USER and no WORKDIR: GitHub Actions runs container actions as root in the mounted workspace.
ENTRYPOINT ["/usr/local/bin/catalog-lint"]
CMD ["--help"]
