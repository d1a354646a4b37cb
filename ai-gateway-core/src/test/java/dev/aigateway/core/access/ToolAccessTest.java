package dev.aigateway.core.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Allow and deny lists of tool names per consumer and role. */
class ToolAccessTest {

  private final ToolAccess access =
      ToolAccess.denyByDefault()
          .allowRole("developer", "*")
          .denyRole("intern", "delete_*")
          .allowConsumer("ci-bot", "list_*", "GET_*")
          .build();

  @Test
  void anAllowEntryOfTheCallersRoleAllowsMatchingNames() {
    assertThat(access.check("dana", Set.of("developer"), "create_issue"))
        .isEqualTo(new ToolAccess.Decision(true, "allow:role:developer"));
  }

  @Test
  void aDenyEntryWinsOverAnyAllowEntry() {
    assertThat(access.check("ivan", Set.of("developer", "intern"), "delete_repo"))
        .isEqualTo(new ToolAccess.Decision(false, "deny:role:intern"));
  }

  @Test
  void patternsIgnoreCaseAndNamesNoEntryMatchesFallToTheDefault() {
    assertThat(access.check("ci-bot", Set.of(), "get_issue").allowed()).isTrue();
    assertThat(access.check("ci-bot", Set.of(), "create_issue"))
        .isEqualTo(new ToolAccess.Decision(false, ToolAccess.DEFAULT_RULE));
  }

  @Test
  void allowByDefaultWithoutDenyEntriesAllowsEverything() {
    assertThat(ToolAccess.allowAll().allowsEverything()).isTrue();
    assertThat(access.allowsEverything()).isFalse();
    assertThat(ToolAccess.allowByDefault().denyConsumer("x", "*").build().allowsEverything())
        .isFalse();
  }

  @Test
  void anEntryNeedsPatternsAndIsAddedOnce() {
    assertThatThrownBy(() -> ToolAccess.denyByDefault().allowRole("a"))
        .hasMessageContaining("at least one name pattern");
    assertThatThrownBy(() -> ToolAccess.denyByDefault().allowRole("a", "x").allowRole("a", "y"))
        .hasMessageContaining("allow:role:a");
  }
}
