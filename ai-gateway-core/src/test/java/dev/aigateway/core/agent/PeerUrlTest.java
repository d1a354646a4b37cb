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
  void hostsAreNormalisedAsRequestsNameThem() {
    // IPv6 literals in their canonical text (RFC 5952, as OkHttp gives a request's host), an
    // IPv4-mapped one as IPv4, names in lower case without the dot of their absolute form.
    assertThat(McpServer.builder("a", "http://[2001:DB8:0:0:1:0:0:1]:8080/mcp").build().url())
        .isEqualTo("http://[2001:db8::1:0:0:1]:8080/mcp");
    assertThat(McpServer.builder("a", "http://[0:0:0:0:0:0:0:1]/mcp").build().url())
        .isEqualTo("http://[::1]:80/mcp");
    assertThat(McpServer.builder("a", "http://[1:0:0:2:0:0:0:3]/mcp").build().url())
        .isEqualTo("http://[1:0:0:2::3]:80/mcp");
    assertThat(McpServer.builder("a", "http://[::]/mcp").build().url())
        .isEqualTo("http://[::]:80/mcp");
    assertThat(McpServer.builder("a", "http://[::ffff:127.0.0.1]/mcp").build().url())
        .isEqualTo("http://127.0.0.1:80/mcp");
    assertThat(A2aAgent.builder("b", "https://Agents.Example.com./a2a").build().url())
        .isEqualTo("https://agents.example.com:443/a2a");
    assertThat(Endpoint.host("::1")).isEqualTo("::1");
    assertThat(Endpoint.host("MCP.example.com.")).isEqualTo("mcp.example.com");
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
