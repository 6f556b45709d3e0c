// swarmctl's tables: a header row and rows of cells, printed in columns separated by at least
// two spaces (the contract's `ls` output), left-aligned, without trailing spaces. Widths count
// UTF-8 characters, not bytes; a cell's control characters (a newline in a task's message) print
// as spaces so that one record stays one line. A value; render() is pure.
#pragma once

#include <string>
#include <vector>

namespace swarmlet::swarmctl {

// Spaces between two columns, at least.
inline constexpr size_t COLUMN_GAP = 2;

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  bool operator==(const Table&) const = default;

  // REQUIRES: every row has header.size() cells. The header row and every row, each ending in
  // '\n'.
  std::string render() const;
};

// `text` with every control character (below U+0020, and DEL) replaced by a space.
std::string printable(const std::string& text);
// The number of UTF-8 characters of `text` (bytes that do not continue a character).
size_t displayWidth(const std::string& text);

}  // namespace swarmlet::swarmctl
