// The inline stylesheet of the HTML report (private to src/report). System fonts only: the page
// must render offline and fetch nothing.
#pragma once

#include <string_view>

namespace smssaudit::report::detail {

/// The content of the page's single <style> element.
std::string_view html_stylesheet() noexcept;

}  // namespace smssaudit::report::detail
