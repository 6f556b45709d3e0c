#include "node/swarmctl/table.h"

#include <kj/debug.h>

#include <algorithm>

namespace swarmlet::swarmctl {

std::string printable(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return out;
}

size_t displayWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

namespace {

void renderRow(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
               std::string& out) {
  std::string line;
  for (size_t column = 0; column < cells.size(); ++column) {
    std::string cell = printable(cells[column]);
    line += cell;
    if (column + 1 < cells.size())
      line.append(widths[column] - displayWidth(cell) + COLUMN_GAP, ' ');
  }
  // An empty last cell (a worker's MANAGER STATUS) leaves the gap before it behind.
  while (!line.empty() && line.back() == ' ')
    line.pop_back();
  out += line;
  out += '\n';
}

}  // namespace

std::string Table::render() const {
  std::vector<size_t> widths(header.size(), 0);
  for (size_t column = 0; column < header.size(); ++column)
    widths[column] = displayWidth(header[column]);
  for (const auto& row : rows) {
    KJ_REQUIRE(row.size() == header.size(), "a row has another number of cells than the header",
               row.size(), header.size());
    for (size_t column = 0; column < row.size(); ++column)
      widths[column] = std::max(widths[column], displayWidth(printable(row[column])));
  }
  std::string out;
  renderRow(header, widths, out);
  for (const auto& row : rows)
    renderRow(row, widths, out);
  return out;
}

}  // namespace swarmlet::swarmctl
