package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.IOException;
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
}
