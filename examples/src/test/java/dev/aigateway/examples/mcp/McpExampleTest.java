package dev.aigateway.examples.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class McpExampleTest {

  @Test
  void theRestApiIsListedAndCalledOverMcpAndAsAnOpenAiTool() {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    McpExample.Outcome outcome =
        McpExample.run(new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(outcome.toolNames()).containsExactly("getWeather");
    assertThat(outcome.mcpAnswer())
        .isEqualTo("{\"city\":\"Oslo\",\"temperature\":15,\"sky\":\"clear\"}");
    assertThat(outcome.openAiTools()).contains("\"type\":\"function\"", "\"name\":\"getWeather\"");
    assertThat(outcome.toolMessages()).hasSize(1);
    assertThat(outcome.toolMessages().get(0).toolCallId()).isEqualTo("call_1");
    assertThat(outcome.toolMessages().get(0).content()).contains("\"city\":\"Lima\"");
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("MCP tools at http://127.0.0.1:");
  }
}
