# callqa: one static binary for every role (worker, scheduler, serve, run...).
#   docker build -t callqa .
#   docker run --rm callqa help
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (modernc SQLite, pgx): no cgo. timetzdata embeds the time zone
# database for --tz (Asia/Shanghai by default).
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/callqa ./cmd/callqa

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/callqa /usr/local/bin/callqa
USER nonroot:nonroot
# The worker's /metrics, /healthz and /readyz; the workbench.
EXPOSE 9090 8080
ENTRYPOINT ["/usr/local/bin/callqa"]
CMD ["help"]
