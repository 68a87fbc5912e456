# Multi-stage build of the same binary the README builds (go build ./cmd/warroom).
# go-sqlite3 is cgo, so the build stage has gcc and the runtime stage glibc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/warroom ./cmd/warroom

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin warroom \
    && mkdir -p /data && chown warroom /data
COPY --from=build /out/warroom /usr/local/bin/warroom
USER warroom
WORKDIR /data
# The database lives on the volume; mount your config and plans read-only,
# e.g. -v ./warroom.yaml:/etc/warroom/warroom.yaml:ro and add
# -config /etc/warroom/warroom.yaml.
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["warroom"]
CMD ["-db", "/data/warroom.db", "-http", "0.0.0.0:8080"]
