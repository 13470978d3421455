#pragma once
// The helper's one nftables table, written with libmnl + libnftnl. Every
// change is one batch (begin, messages, end) sent once: it commits whole or
// not at all. Every acknowledgement is drained, and an error is mapped back
// to the message that caused it by its sequence number.
#include <string>

#include "nft_rules.hpp"

namespace cursor_proxy::helper {

// Atomically replaces table inet <plan.table> with the planned one (creating
// it if absent): create, delete, create, chains, rules in one batch.
void replace_table(const TablePlan& plan);
// Deletes table inet <name> if it exists (create-then-delete in one batch, so
// a missing table is not an error). Never touches any other table.
void delete_table(const std::string& name);
bool table_exists(const std::string& name);

}  // namespace cursor_proxy::helper
