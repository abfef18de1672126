// Catch2 shim: v3 when available, else Debian's 2.13 single header (main in support/main.cpp).
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
