package dev.aigateway.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A configured server's or agent's URL that is refused: the message never quotes a secret in it.
 */
class PeerUrlTest {

  @Test
  void aRefusedUrlIsNamedWithoutItsUserInfoOrQuery() {
    List<String> urls =
        List.of(
            "https://mcp.example.com/mcp?api_key=s3cr3t-value",
            "https://alice:s3cr3t-value@mcp.example.com/mcp#s3cr3t-value",
            "ftp://alice:s3cr3t-value@mcp.example.com/mcp",
            "https://mcp.example.com/m cp?api_key=s3cr3t-value");
    for (String url : urls) {
      assertThatThrownBy(() -> McpServer.builder("github", url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("github")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"))
          .hasNoCause();
      assertThatThrownBy(() -> A2aAgent.builder("planner", url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"));
    }
  }

  @Test
  void aRefusedUrlStillSaysWhereItPoints() {
    assertThatThrownBy(() -> McpServer.builder("github", "https://mcp.example.com:8443/mcp?x=1"))
        .hasMessageContaining("https://mcp.example.com:8443/mcp")
        .hasMessageContaining("query");
    assertThatThrownBy(() -> McpServer.builder("github", "https://bob:pw@my_host/mcp"))
        .hasMessageContaining("https://my_host/mcp")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw"));
  }
}
