#include "observer/observer.hpp"

namespace cursor_proxy::observer {

Observer& null_observer() {
    static Observer none;
    return none;
}

}  // namespace cursor_proxy::observer
