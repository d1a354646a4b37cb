package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenEncoding;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Anthropic prompt estimate against the counts Anthropic's token-counting guide publishes for
 * its examples (model {@code claude-opus-4-20250514}): never below the real count, and within the
 * error {@code docs/providers.md} reports.
 */
class AnthropicPromptTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TokenCounter COUNTER = TokenCounter.defaults();

  private static final String BASIC =
      "{'model':'claude-opus-4-20250514','system':'You are a scientist',"
          + "'messages':[{'role':'user','content':'Hello, Claude'}]}";
  private static final String TOOLS =
      "{'model':'claude-opus-4-20250514','tools':[{'name':'get_weather',"
          + "'description':'Get the current weather in a given location',"
          + "'input_schema':{'type':'object','properties':{'location':{'type':'string',"
          + "'description':'The city and state, e.g. San Francisco, CA'}},'required':['location']}}],"
          + "'messages':[{'role':'user','content':'What\\'s the weather like in San Francisco?'}]}";
  private static final String IMAGE =
      "{'model':'claude-opus-4-20250514','messages':[{'role':'user','content':["
          + "{'type':'image','source':{'type':'base64','media_type':'image/jpeg','data':'/9j/4AAQ'}},"
          + "{'type':'text','text':'Describe this image'}]}]}";
  private static final String THINKING =
      "{'model':'claude-opus-4-20250514','thinking':{'type':'enabled','budget_tokens':16000},"
          + "'messages':[{'role':'user','content':"
          + "'Are there an infinite number of prime numbers such that n mod 4 == 3?'},"
          + "{'role':'assistant','content':[{'type':'thinking','thinking':"
          + "'This is a nice number theory question. Let\\'s think about it step by step...',"
          + "'signature':'EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV...'},"
          + "{'type':'text','text':'Yes, there are infinitely many prime numbers p such that p mod 4 = 3...'}]},"
          + "{'role':'user','content':'Can you write a formal proof?'}]}";

  private static long estimate(String body) throws IOException {
    JsonNode tree = JSON.readTree(body.replace('\'', '"').replace("\\\"", "'"));
    return PromptTokens.count(COUNTER, tree.path("model").asText(), Operation.MESSAGES, tree);
  }

  @ParameterizedTest(name = "{0}: Anthropic counts {1}")
  @CsvSource({"BASIC, 14", "TOOLS, 403", "IMAGE, 1551", "THINKING, 88"})
  void theEstimateIsNeverBelowThePublishedCountAndWithinAThirdAboveIt(String sample, long real)
      throws IOException {
    String body =
        switch (sample) {
          case "BASIC" -> BASIC;
          case "TOOLS" -> TOOLS;
          case "IMAGE" -> IMAGE;
          default -> THINKING;
        };

    long estimate = estimate(body);

    System.out.printf(
        "anthropic estimate %s: real %d, estimate %d, error %+.1f%%%n",
        sample, real, estimate, 100.0 * (estimate - real) / real);
    assertThat(estimate).isGreaterThanOrEqualTo(real).isLessThanOrEqualTo(real * 4 / 3);
  }

  /** A long text, of about 40 tokens per repetition. */
  private static String prose(int repetitions) {
    return "The quarterly report shows revenue grew by twelve percent while costs fell; the board "
        .repeat(repetitions);
  }

  /**
   * A structured output's JSON schema, given as the beta {@code output_format} or as the GA {@code
   * output_config.format}, is rendered into the prompt and counted as its compact JSON, as tools'
   * input schemas are.
   */
  @Test
  void aStructuredOutputSchemaIsCountedInBothItsForms() throws IOException {
    StringBuilder properties = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      properties
          .append(i == 0 ? "" : ",")
          .append("'field")
          .append(i)
          .append("':{'type':'string','description':'The value of field number ")
          .append(i)
          .append(" as written in the source'}");
    }
    String format =
        "{'type':'json_schema','schema':{'type':'object','properties':{" + properties + "}}}";
    String schemaJson = JSON.readTree(format.replace('\'', '"')).get("schema").toString();
    long schemaTokens = COUNTER.countText(TokenEncoding.CL100K_BASE, schemaJson);
    long plain = estimate(BASIC);
    String beta = BASIC.replace("'system'", "'output_format':" + format + ",'system'");
    String ga = BASIC.replace("'system'", "'output_config':{'format':" + format + "},'system'");

    assertThat(estimate(beta)).as("output_format").isGreaterThanOrEqualTo(plain + schemaTokens);
    assertThat(estimate(ga))
        .as("output_config.format")
        .isGreaterThanOrEqualTo(plain + schemaTokens);
  }

  @Test
  void aPlainTextDocumentCountsItsText() throws IOException {
    String text = prose(2_000); // ~34,000 cl100k tokens: twenty images' worth
    com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode();
    body.put("model", "claude-opus-4-20250514");
    com.fasterxml.jackson.databind.node.ArrayNode content =
        body.putArray("messages").addObject().put("role", "user").putArray("content");
    content
        .addObject()
        .put("type", "document")
        .put("title", "Report")
        .putObject("source")
        .put("type", "text")
        .put("media_type", "text/plain")
        .put("data", text);
    content.addObject().put("type", "text").put("text", "Summarise this document.");
    long textTokens = COUNTER.countText(TokenEncoding.CL100K_BASE, text);

    long estimate = PromptTokens.count(COUNTER, "claude-opus-4-20250514", Operation.MESSAGES, body);

    assertThat(estimate).isGreaterThanOrEqualTo(textTokens * 5 / 4);
  }

  @Test
  void aDocumentOfContentBlocksAndASearchResultCountTheirText() throws IOException {
    String text = prose(1_000);
    com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode();
    body.put("model", "claude-opus-4-20250514");
    com.fasterxml.jackson.databind.node.ArrayNode content =
        body.putArray("messages").addObject().put("role", "user").putArray("content");
    com.fasterxml.jackson.databind.node.ObjectNode document =
        content.addObject().put("type", "document");
    document
        .putObject("source")
        .put("type", "content")
        .putArray("content")
        .addObject()
        .put("type", "text")
        .put("text", text);
    com.fasterxml.jackson.databind.node.ObjectNode result =
        content.addObject().put("type", "search_result");
    result.put("source", "https://example.com/report").put("title", "Report");
    result.putArray("content").addObject().put("type", "text").put("text", text);
    long textTokens = COUNTER.countText(TokenEncoding.CL100K_BASE, text);

    long estimate = PromptTokens.count(COUNTER, "claude-opus-4-20250514", Operation.MESSAGES, body);

    assertThat(estimate).isGreaterThanOrEqualTo(2 * textTokens * 5 / 4);
  }
}
