/* Stand-in for the MSVC CRT header, used only by scripts/cross-check (see
 * TargetConditionals.h beside it): ring includes it for MSVC but needs nothing from it in
 * a freestanding compile. Nothing built with it is ever linked or shipped. */
#pragma once
