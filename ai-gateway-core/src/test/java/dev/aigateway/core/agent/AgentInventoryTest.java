package dev.aigateway.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.agent.AgentInventory.SeenTool;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentInventoryTest {

  private final AgentInventory inventory =
      new AgentInventory(List.of("github"), List.of(), Clock.systemUTC());

  @Test
  void aServerWhoseToolNamesChangeFromListToListIsRememberedUpToTheBound() {
    // Each list names tools never seen before, as a server that mints a name per session would.
    int lists = 3;
    int perList = AgentInventory.MAX_TOOLS_PER_SERVER / 2 + 1;
    for (int list = 0; list < lists; list++) {
      inventory.toolsListed("github", tools("session" + list + "_tool", perList));
    }

    List<SeenTool> seen = inventory.tools("github");
    assertThat(seen).hasSize(AgentInventory.MAX_TOOLS_PER_SERVER);
    // The tools first seen went first; the last list is whole.
    assertThat(seen.get(seen.size() - 1).name()).isEqualTo("session2_tool" + (perList - 1));
    assertThat(seen).noneMatch(tool -> tool.name().equals("session0_tool0"));
  }

  @Test
  void aToolListedAgainKeepsItsPlaceAndItsLatestDefinition() {
    inventory.toolsListed("github", tools("t", 3));
    List<JsonNode> again = tools("t", 1);
    ((ObjectNode) again.get(0)).put("description", "newer");
    inventory.toolsListed("github", again);

    List<SeenTool> seen = inventory.tools("github");
    assertThat(seen).extracting(SeenTool::name).containsExactly("t0", "t1", "t2");
    assertThat(seen.get(0).description()).isEqualTo("newer");
  }

  private static List<JsonNode> tools(String prefix, int count) {
    List<JsonNode> tools = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      tools.add(
          JsonNodeFactory.instance
              .objectNode()
              .put("name", prefix + i)
              .put("description", "tool " + i));
    }
    return tools;
  }
}
