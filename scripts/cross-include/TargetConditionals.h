/* Stand-in for the macOS SDK header, used only by scripts/cross-check: a `cargo check`
 * for aarch64-apple-darwin on Linux still runs C build scripts (ring), and they include
 * this header. Nothing built with it is ever linked or shipped. */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
