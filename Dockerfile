# syntax=docker/dockerfile:1
# Build stage: the official Swift image.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product lfm-serve \
    && cp "$(swift build -c release --show-bin-path)/lfm-serve" /lfm-serve

# Runtime stage: slim Debian with only the system libraries the binary links.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /nonexistent --shell /usr/sbin/nologin lfm
COPY --from=build /lfm-serve /usr/local/bin/lfm-serve
USER lfm
VOLUME ["/models"]
EXPOSE 8080
# /health answers 503 while the model loads and 200 when ready (bash's /dev/tcp: no curl in the image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /health HTTP/1.0\r\n\r\n" >&3 && head -1 <&3 | grep -q " 200 "'
ENTRYPOINT ["/usr/local/bin/lfm-serve"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--model", "/models/model"]
