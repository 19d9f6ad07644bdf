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
ENTRYPOINT ["/usr/local/bin/lfm-serve"]
CMD ["--help"]
