// Pieces shared by the config reader (config.cc) and writer (config_writer.cc).
#ifndef COLEND_NODE_CONFIG_INTERNAL_H_
#define COLEND_NODE_CONFIG_INTERNAL_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace colend::node::config_internal {

// Parses "host:port" ("[v6addr]:port" for IPv6) into *host (without brackets) and *port.
// On failure returns false and sets *error to a sentence naming the text.
bool ParseHostPort(std::string_view text, std::string* host, std::uint16_t* port,
                   std::string* error);

// "host:port", bracketing a host that contains ':'.
std::string FormatHostPort(std::string_view host, std::uint16_t port);

// `text` as an absolute, lexically normal path: relative ones are taken from `base_dir`.
std::filesystem::path Resolve(std::string_view text, const std::filesystem::path& base_dir);

// "syntax error at line L, column C: <description>".
std::string DescribeSyntaxError(std::string_view description, std::uint32_t line,
                                std::uint32_t column);

// A TOML basic string literal ("..." with escapes) holding `s`.
std::string TomlString(std::string_view s);

}  // namespace colend::node::config_internal

#endif  // COLEND_NODE_CONFIG_INTERNAL_H_
