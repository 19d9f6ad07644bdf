# syntax=docker/dockerfile:1
# LFMServe image. Build: docker build -t lfm-serve .
# Run:   docker run -p 8080:8080 -v lfm-models:/models lfm-serve                (default model, from the Hub)
#        docker run -p 8080:8080 -v $PWD/my-model:/models/my-model:ro -e LFM_SERVE_MODEL=/models/my-model lfm-serve
# Every setting is an LFM_SERVE_<KEY> environment variable (docs/configuration.md).
# The runtime stage is checked without a container engine by scripts/docker-runtime-test.sh
# (debootstrap of the same Debian release + the same packages, server started under chroot).

# Build stage: the official Swift image; the Swift runtime is linked statically.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product lfm-serve \
    && cp "$(swift build -c release --show-bin-path)/lfm-serve" /lfm-serve

# Runtime stage: slim Debian with only the system libraries the binary links (OpenSSL, zlib)
# and CA certificates for Hub downloads.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /nonexistent --shell /usr/sbin/nologin lfm \
    && mkdir -p /models /etc/lfm-serve && chown lfm /models
COPY --from=build /lfm-serve /usr/local/bin/lfm-serve
COPY config/lfm-serve.json /etc/lfm-serve/lfm-serve.json
# Listen on every interface inside the container; models (and the Hub cache) live on the volume.
ENV LFM_SERVE_HOST=0.0.0.0 \
    LFM_SERVE_PORT=8080 \
    HF_HOME=/models/huggingface
USER lfm
VOLUME ["/models"]
EXPOSE 8080
# /health answers 503 while the model loads or the server drains, 200 when ready
# (bash's /dev/tcp: no curl in the image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=300s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LFM_SERVE_PORT:-8080} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/lfm-serve"]
CMD ["serve"]
