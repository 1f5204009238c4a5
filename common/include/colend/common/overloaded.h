// Overloaded{lambdas...}: one visitor out of several lambdas, for std::visit over the
// consensus actions and other variants.
#ifndef COLEND_COMMON_OVERLOADED_H_
#define COLEND_COMMON_OVERLOADED_H_

namespace colend {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace colend

#endif  // COLEND_COMMON_OVERLOADED_H_
