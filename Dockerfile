# dashshare in a container: the static musl binary on distroless, as a non-root user.
#   docker build -t dashshare .
#   docker run --rm -v ~/.config/dashshare:/config:ro -e DASHSHARE_CONFIG=/config/config.toml \
#     -e SISENSE_PASSWORD dashshare list -p prod "Sales overview"

FROM rust:1-bookworm AS build
# rustls's crypto library (aws-lc-sys) compiles C: musl-gcc for the musl target.
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add "$(uname -m)-unknown-linux-musl"
WORKDIR /src
COPY . .
# The build machine's own architecture (x86_64 or aarch64): musl-gcc compiles for it only, and
# is named for the cc crate, which would look for aarch64-linux-musl-gcc on arm64.
RUN target="$(uname -m)-unknown-linux-musl" \
    && export "CC_$(uname -m)_unknown_linux_musl=musl-gcc" \
    && cargo build --locked --release --target "$target" \
    && cp "target/$target/release/dashshare" /dashshare \
    && mkdir /state

# static-debian12 has CA certificates (for HTTPS to the vendors), /etc/passwd and tzdata, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /dashshare /usr/local/bin/dashshare
# The journal (what `undo` reads) goes to /state/dashshare/journal.jsonl: mount a volume on
# /state to keep it between runs. The folder belongs to nonroot (65532), as a new named volume
# then does too.
COPY --from=build --chown=65532:65532 /state /state
ENV XDG_STATE_HOME=/state
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/dashshare"]
