# emulator-e2e with the Android SDK: the published emulator-e2e image (the plugin, Appium 3 with the
# UiAutomator2 driver, WebdriverIO) plus Java, the SDK's command-line tools, platform-tools, the
# emulator and one system image, so `action: test` runs locally in the step (the runner passes
# /dev/kvm: `devices: [/dev/kvm]` or a privileged step). Unlike the plugin images it has RUN steps and
# downloads from Google (dl.google.com), so build it where those are reachable, for linux/amd64 (the
# emulator and x86_64 system images are amd64-only on Linux):
#
#   docker build -f images/emulator-e2e/sdk.Dockerfile \
#     --build-arg EMULATOR_E2E_IMAGE=registry.example.com/acme/hangar/emulator-e2e:1.4.2 \
#     -t registry.example.com/acme/hangar/emulator-e2e:1.4.2-sdk34 images/emulator-e2e
#
# Another API level or target: --build-arg API_LEVEL=35 --build-arg TARGET=google_apis_playstore, and
# the same `api_level` / `target` in the step's settings. The versions below are pinned; raise them
# together (CMDLINE_TOOLS_BUILD and its SHA-256 from developer.android.com/studio#command-line-tools-only).
ARG EMULATOR_E2E_IMAGE=hangar/emulator-e2e:latest
FROM ${EMULATOR_E2E_IMAGE}

ARG CMDLINE_TOOLS_BUILD=11076708
ARG CMDLINE_TOOLS_SHA256=2d2d50857e4eb553af5a6dc3ad507a17adf43d115264b1afc116f95c92e5e258
ARG PLATFORM_TOOLS_VERSION=35.0.2
ARG EMULATOR_VERSION=35.2.10
# aapt2: the plugin reads the app's package with it, and UiAutomator2 its launch activity.
ARG BUILD_TOOLS_VERSION=35.0.0
ARG API_LEVEL=34
ARG TARGET=google_apis
ARG ARCH=x86_64

# The plugin's default sdk_root is ANDROID_SDK_ROOT; the layout under it is the one sdkmanager makes
# (platform-tools/adb, emulator/emulator, cmdline-tools/latest/bin/{sdkmanager,avdmanager},
# build-tools/<version>/aapt2).
ENV ANDROID_SDK_ROOT=/opt/android-sdk \
    ANDROID_HOME=/opt/android-sdk \
    ANDROID_AVD_HOME=/home/node/.android/avd

USER root
# Java 17 for sdkmanager/avdmanager (and for drivers that need it); the emulator's shared libraries.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless curl ca-certificates unzip \
      libpulse0 libgl1 libnss3 libxcomposite1 libxcursor1 libxdamage1 libxi6 libxtst6 libasound2 \
 && rm -rf /var/lib/apt/lists/*

RUN set -eu; \
    zip="commandlinetools-linux-${CMDLINE_TOOLS_BUILD}_latest.zip"; \
    cd /tmp; \
    curl -fsSLO "https://dl.google.com/android/repository/${zip}"; \
    echo "${CMDLINE_TOOLS_SHA256}  ${zip}" | sha256sum -c -; \
    mkdir -p "${ANDROID_SDK_ROOT}/cmdline-tools"; \
    unzip -q "${zip}" -d "${ANDROID_SDK_ROOT}/cmdline-tools"; \
    mv "${ANDROID_SDK_ROOT}/cmdline-tools/cmdline-tools" "${ANDROID_SDK_ROOT}/cmdline-tools/latest"; \
    rm "${zip}"; \
    yes | "${ANDROID_SDK_ROOT}/cmdline-tools/latest/bin/sdkmanager" --licenses >/dev/null; \
    "${ANDROID_SDK_ROOT}/cmdline-tools/latest/bin/sdkmanager" --install \
      "platform-tools" "emulator" "build-tools;${BUILD_TOOLS_VERSION}" "system-images;android-${API_LEVEL};${TARGET};${ARCH}"; \
    grep -q "Pkg.Revision=${PLATFORM_TOOLS_VERSION}" "${ANDROID_SDK_ROOT}/platform-tools/source.properties" \
      || echo "note: platform-tools is not ${PLATFORM_TOOLS_VERSION}: sdkmanager installs the newest"; \
    grep -q "Pkg.Revision=${EMULATOR_VERSION}" "${ANDROID_SDK_ROOT}/emulator/source.properties" \
      || echo "note: the emulator is not ${EMULATOR_VERSION}: sdkmanager installs the newest"; \
    mkdir -p "${ANDROID_AVD_HOME}"; \
    chown -R 1000:1000 /home/node/.android

# The AVD is created on the first run (`create_avd`, the default); creating it here instead saves
# that minute on every build:
#   RUN su node -c "avdmanager create avd -n hangar-34-google_apis-x86_64 -k 'system-images;android-34;google_apis;x86_64' -d pixel_6"

USER 1000:1000
ENTRYPOINT ["node", "/opt/hangar/index.mjs"]
