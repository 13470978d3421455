#include <catch2/catch.hpp>

#include <grp.h>

#include <vector>

#include "bus.hpp"

using namespace cursor_proxy::helper;

TEST_CASE("root may always change the network") {
    CHECK(may_change_network(0, {}, "no-such-group-cursor-proxy-test"));
}

TEST_CASE("others need membership of the allowed group") {
    group* root_group = getgrgid(0);
    REQUIRE(root_group);
    std::string name = root_group->gr_name;
    std::vector<gid_t> member{100, 0}, outsider{100, 65534};
    CHECK(may_change_network(1000, member, name));
    CHECK_FALSE(may_change_network(1000, outsider, name));
    CHECK_FALSE(may_change_network(1000, {}, name));
}

TEST_CASE("an unknown group admits only root") {
    std::vector<gid_t> groups{0, 100};
    CHECK_FALSE(may_change_network(1000, groups, "no-such-group-cursor-proxy-test"));
}
