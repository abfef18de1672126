// Result<T>: a value or an Error. A subset of std::expected (g++ 12 ships it only for c++2b, and
// clang-tidy 14 cannot parse libstdc++'s <expected>), so moving later is a one-line alias.
#pragma once

#include "smssaudit/core/error.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace smssaudit {

/// Wraps an Error so that `return fail(...)` converts into any Result<T>.
struct Unexpected {
  Error error;
};

inline Unexpected fail(ErrorCode code, std::string context, std::string detail) {
  return Unexpected{Error{code, std::move(context), std::move(detail)}};
}

inline Unexpected fail(Error error) {
  return Unexpected{std::move(error)};
}

/// Anything that reads evidence returns Result<T> (or Result<std::optional<T>> for tri-state
/// lookups: value = found, nullopt = absent, error = unreadable).
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit

  Result(Unexpected u) : state_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT: implicit

  bool has_value() const noexcept { return state_.index() == 0; }

  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(state_);
  }

  const T& value() const& {
    check();
    return std::get<0>(state_);
  }

  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }

  T& operator*() & { return value(); }

  const T& operator*() const& { return value(); }

  T&& operator*() && { return std::move(*this).value(); }

  T* operator->() { return &value(); }

  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }

  Error&& error() && { return std::get<1>(std::move(state_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// Calls f(value) returning another Result, or propagates the error.
  template <typename F>
  auto and_then(F&& f) const& -> std::invoke_result_t<F, const T&> {
    if (!has_value()) {
      return Unexpected{error()};
    }
    return std::forward<F>(f)(std::get<0>(state_));
  }

 private:
  void check() const {
    if (!has_value()) {
      throw std::logic_error("Result::value() on an error: " + std::get<1>(state_).message());
    }
  }

  std::variant<T, Error> state_;
};

/// Result of an operation that yields no value.
using Status = Result<std::monostate>;

inline Status ok() {
  return Status(std::monostate{});
}

}  // namespace smssaudit
