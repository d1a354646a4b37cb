package dev.aigateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.KeyResolversTest.FakeRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RoleResolver#header(String)} treats its header name as {@link KeyResolvers} does. */
class RoleResolverTest {

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"x-roles", "X-Roles", " x-roles ", "\tX-ROLES "})
  void aHeaderNameIsReadAndRemovedTrimmedAndInAnyCase(String name) {
    RoleResolver resolver = RoleResolver.header(name);

    assertThat(resolver.roles(new FakeRequest().header("x-roles", "analyst, batch")))
        .containsExactlyInAnyOrder("analyst", "batch");
    assertThat(resolver.gatewayHeaders()).containsExactly("x-roles");
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {"", "  "})
  void aBlankHeaderNameIsRejected(String name) {
    assertThatThrownBy(() -> RoleResolver.header(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-blank");
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(
      strings = {
        "Authorization",
        " authorization ",
        "Proxy-Authorization",
        "api-key",
        "X-Api-Key",
        "x-goog-api-key",
        "Cookie"
      })
  void aCredentialOrCookieHeaderIsRefusedAsItWouldBeRemovedFromTheCall(String name) {
    assertThatThrownBy(() -> RoleResolver.header(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("would be removed from the call");
  }
}
