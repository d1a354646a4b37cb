package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.tokens.TokenCounter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Gemini's and Bedrock's requests read without a tree (the allowance, the candidate count and
 * whether the body is understood by {@link RequestMembers}; the prompt estimate by {@link
 * GeminiPrompt#streamed} and Converse's streamed estimate) equal what the body's tree gives, for
 * random bodies: shaped like the providers' (with wrong types, repeated members, escapes and
 * non-ASCII text mixed in), arbitrary JSON over the same member names, and broken bytes.
 */
@Tag("compute-bound")
class StreamedRequestReadTest {

  private static final int BODIES = 3_000;

  // An image bound no text sums to by chance, so a part misread as media shows.
  private static final TokenCounter COUNTER = TokenCounter.builder().imageTokens(7_919).build();

  private static final String MODEL = "gemini-2.0-flash";

  private static final String[] WORDS = {
    "hello",
    "the weather in Paris",
    "déjà vu",
    "日本語のテキスト",
    "🙂 emoji",
    "a\\\"quote",
    "back\\\\slash",
    "line\\nbreak",
    "\\u00e9t\\u00e9",
    "",
    " ",
    "get_weather"
  };

  private static final String[] KEYS = {
    "contents",
    "parts",
    "text",
    "role",
    "systemInstruction",
    "system_instruction",
    "functionCall",
    "functionResponse",
    "inlineData",
    "fileData",
    "inline_data",
    "tools",
    "generationConfig",
    "maxOutputTokens",
    "candidateCount",
    "temperature",
    "system",
    "messages",
    "content",
    "toolUse",
    "toolResult",
    "json",
    "reasoningContent",
    "reasoningText",
    "image",
    "document",
    "video",
    "audio",
    "searchResult",
    "title",
    "source",
    "toolConfig",
    "inferenceConfig",
    "maxTokens",
    "max_tokens",
    "name",
    "input"
  };

  private static final String[] NUMBERS = {
    "0",
    "1",
    "64",
    "-1",
    "-0",
    "2.5",
    "3.0",
    "1e3",
    "1E2",
    "9223372036854775807",
    "9223372036854775808",
    "123456789012345678901234567890",
    "0.5e1",
    "-12"
  };

  @Test
  void geminiRequestsReadWithoutATreeAsTheTreeReadsThem() {
    Random random = new Random(15);
    int streamed = 0;
    for (int n = 0; n < BODIES; n++) {
      String body = n % 2 == 0 ? new Body(random).gemini() : new Body(random).arbitrary(KEYS);
      streamed += compare(GEMINI_URL, body, GeminiPrompt::streamed) ? 1 : 0;
      compare(GEMINI_URL, broken(body, random), GeminiPrompt::streamed);
    }
    assertThat(streamed).isGreaterThan(BODIES / 3);
  }

  @Test
  void converseRequestsReadWithoutATreeAsTheTreeReadsThem() {
    Random random = new Random(1515);
    int streamed = 0;
    for (int n = 0; n < BODIES; n++) {
      String body = n % 2 == 0 ? new Body(random).converse() : new Body(random).arbitrary(KEYS);
      Streamed estimate =
          (counter, model, bytes) ->
              BedrockConverseFormat.CONVERSE.streamedEstimate(counter, model, bytes);
      streamed += compare(CONVERSE_URL, body, estimate) ? 1 : 0;
      compare(CONVERSE_URL, broken(body, random), estimate);
    }
    assertThat(streamed).isGreaterThan(BODIES / 3);
  }

  @Test
  void invokeRequestsReadTheirAllowanceWithoutATreeAsTheTreeReadsIt() {
    Random random = new Random(151515);
    for (int n = 0; n < BODIES / 3; n++) {
      String body = new Body(random).arbitrary(KEYS);
      compareRequests(INVOKE_URL, body);
      compareRequests(CLAUDE_URL, body);
      compareRequests(INVOKE_URL, broken(body, random));
    }
  }

  @Test
  void membersReadOnTheBytesAndByTheParserAreTheTreesMembers() {
    List<String> pointers =
        List.of(
            "/generationConfig/maxOutputTokens",
            "/generationConfig/candidateCount",
            "/generationConfig",
            "/inferenceConfig/maxTokens",
            "/max_tokens",
            "/contents");
    RequestMembers reader = RequestMembers.of(pointers);
    Random random = new Random(7);
    for (int n = 0; n < BODIES; n++) {
      String body =
          switch (n % 3) {
            case 0 -> new Body(random).gemini();
            case 1 -> new Body(random).converse();
            default -> new Body(random).arbitrary(KEYS);
          };
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      JsonNode tree = Json.parseOrNull(bytes, 0, bytes.length);
      // Trailing bytes: the walk on bytes refuses the body, the parser reads its first value.
      byte[] trailing = (body + "\n]").getBytes(StandardCharsets.UTF_8);
      for (byte[] read : new byte[][] {bytes, trailing}) {
        JsonNode[] values = reader.read(read);
        assertThat(values != null).as(body).isEqualTo(tree instanceof ObjectNode);
        for (int k = 0; values != null && k < pointers.size(); k++) {
          JsonNode expected = tree.at(pointers.get(k));
          assertThat(values[k])
              .as("%s of %s", pointers.get(k), body)
              .isEqualTo(expected.isMissingNode() ? null : expected);
        }
      }
    }
  }

  @Test
  void aRepeatedMemberIsTheLaterOneAsInTheTree() {
    String body =
        "{\"generationConfig\":{\"maxOutputTokens\":5,\"candidateCount\":3},"
            + "\"generationConfig\":{\"maxOutputTokens\":7},"
            + "\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}";
    WireRequest request = request(GEMINI_URL, body);
    assertThat(request.maxOutputTokens()).hasValue(7);
    assertThat(request.choices()).isEqualTo(1);
    assertThat(((TreeRequest) request).treeBuilt()).isFalse();
    compareRequests(GEMINI_URL, body);
    String converse =
        "{\"inferenceConfig\":{\"maxTokens\":9},\"inferenceConfig\":{\"maxTokens\":\"x\"}}";
    assertThat(request(CONVERSE_URL, converse).maxOutputTokens()).isEmpty();
  }

  @Test
  void aPlainRequestIsCountedAndLimitedWithoutBuildingItsTree() {
    String gemini =
        "{\"systemInstruction\":{\"parts\":[{\"text\":\"You are terse.\"}]},"
            + "\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Say hello.\"},"
            + "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AAAA\"}}]}],"
            + "\"generationConfig\":{\"maxOutputTokens\":64,\"candidateCount\":2}}";
    WireRequest request = request(GEMINI_URL, gemini);
    assertThat(request.bodyUnderstood()).isTrue();
    assertThat(request.maxOutputTokens()).hasValue(64);
    assertThat(request.choices()).isEqualTo(2);
    long count = request.format().countPrompt(COUNTER, request);
    assertThat(((TreeRequest) request).treeBuilt()).isFalse();
    assertThat(count)
        .isEqualTo(GeminiPrompt.estimate(COUNTER, MODEL, request(GEMINI_URL, gemini).body()))
        .isGreaterThan(GeminiPrompt.MEDIA_PART_TOKENS);
    String converse =
        "{\"system\":[{\"text\":\"You are terse.\"}],\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"text\":\"Say hello.\"}]}],\"inferenceConfig\":{\"maxTokens\":64}}";
    WireRequest converseRequest = request(CONVERSE_URL, converse);
    assertThat(converseRequest.maxOutputTokens()).hasValue(64);
    assertThat(converseRequest.maxOutputTokensField()).isEqualTo("inferenceConfig.maxTokens");
    assertThat(converseRequest.format().countPrompt(COUNTER, converseRequest)).isPositive();
    assertThat(((TreeRequest) converseRequest).treeBuilt()).isFalse();
  }

  private static final String GEMINI_URL =
      "https://generativelanguage.googleapis.com/v1beta/models/" + MODEL + ":generateContent";
  private static final String BEDROCK = "https://bedrock-runtime.us-east-1.amazonaws.com/model/";
  private static final String CONVERSE_URL = BEDROCK + "amazon.nova-lite-v1:0/converse";
  private static final String INVOKE_URL = BEDROCK + "meta.llama3-8b-instruct-v1:0/invoke";
  private static final String CLAUDE_URL =
      BEDROCK + "anthropic.claude-3-5-haiku-20241022-v1:0/invoke";

  /** A streamed estimate under test: -1 when left to the tree. */
  private interface Streamed {
    long estimate(TokenCounter counter, String model, byte[] bytes);
  }

  /**
   * Compares the streamed estimate with the tree's and the request read both ways; whether the
   * streamed estimate counted the body (rather than leaving it to the tree).
   */
  private static boolean compare(String url, String body, Streamed streamed) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    WireRequest withTree = compareRequests(url, body);
    long estimate = streamed.estimate(COUNTER, withTree.model(), bytes);
    if (estimate >= 0) {
      assertThat(withTree.body()).as("understood %s", body).isNotNull();
      long expected =
          withTree.format() instanceof BedrockFormat bedrock
              ? bedrock.estimate(COUNTER, withTree.model(), withTree.body())
              : GeminiPrompt.estimate(COUNTER, withTree.model(), withTree.body());
      assertThat(estimate).as("estimate of %s", body).isEqualTo(expected);
    }
    return estimate >= 0;
  }

  /** The request read without a tree and with one first: the same facts. Returns the latter. */
  private static WireRequest compareRequests(String url, String body) {
    WireRequest fresh = request(url, body);
    WireRequest withTree = request(url, body);
    ObjectNode tree = withTree.body();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    JsonNode parsed = Json.parseOrNull(bytes, 0, bytes.length);
    assertThat(tree != null).as("tree of %s", body).isEqualTo(parsed instanceof ObjectNode);
    String as = body;
    assertThat(fresh.bodyUnderstood()).as(as).isEqualTo(withTree.bodyUnderstood());
    assertThat(fresh.maxOutputTokens()).as(as).isEqualTo(withTree.maxOutputTokens());
    assertThat(fresh.maxOutputTokensField()).as(as).isEqualTo(withTree.maxOutputTokensField());
    assertThat(fresh.choices()).as(as).isEqualTo(withTree.choices());
    WireRequest counted = request(url, body);
    assertThat(counted.format().countPrompt(COUNTER, counted))
        .as("count of %s", body)
        .isEqualTo(withTree.format().countPrompt(COUNTER, withTree));
    return withTree;
  }

  private static WireRequest request(String url, String body) {
    PostedRequest request = PostedRequest.of(url, body);
    Function<String, String> noHeaders = name -> null;
    CallMatch match = WireFormats.defaults().recognise("POST", request.encodedPath(), noHeaders);
    WireFormat format = WireFormats.defaults().formatFor(match, request);
    return format.readRequest(match, request, 1 << 20);
  }

  /** The body with one random change: cut short, a byte replaced, a byte inserted. */
  private static String broken(String body, Random random) {
    if (body.isEmpty()) {
      return "{";
    }
    int at = random.nextInt(body.length());
    String marks = "{}[]\",:\\ x9";
    char mark = marks.charAt(random.nextInt(marks.length()));
    return switch (random.nextInt(3)) {
      case 0 -> body.substring(0, at);
      case 1 -> body.substring(0, at) + mark + body.substring(at + 1);
      default -> body.substring(0, at) + mark + body.substring(at);
    };
  }

  /** A random body's JSON text, written by hand so that members can repeat. */
  private static final class Body {
    private final Random random;
    private final StringBuilder out = new StringBuilder();

    Body(Random random) {
      this.random = random;
    }

    String gemini() {
      List<Runnable> members = new ArrayList<>();
      maybe(members, "systemInstruction", () -> oddOr(() -> object(parts("parts", false))));
      maybe(members, "system_instruction", () -> oddOr(() -> object(parts("parts", false))));
      maybe(members, "contents", () -> oddOr(() -> array(4, () -> oddOr(() -> object(content())))));
      maybe(members, "tools", () -> oddOr(() -> array(2, () -> any(3))));
      maybe(
          members,
          "generationConfig",
          () ->
              oddOr(
                  () -> {
                    List<Runnable> config = new ArrayList<>();
                    maybe(config, "maxOutputTokens", () -> oddOr(this::number));
                    maybe(config, "candidateCount", () -> oddOr(this::number));
                    maybe(config, "temperature", this::number);
                    maybe(config, "responseSchema", () -> any(3));
                    maybe(config, "responseJsonSchema", () -> any(3));
                    maybe(config, "response_schema", () -> any(3));
                    object(config);
                  }));
      maybe(
          members,
          "generation_config",
          () -> oddOr(() -> object(List.of(() -> member("response_json_schema", () -> any(3))))));
      maybe(members, "model", this::text);
      repeatOne(members);
      object(members);
      return out.toString();
    }

    private List<Runnable> content() {
      List<Runnable> members = new ArrayList<>();
      maybe(members, "role", this::text);
      members.add(
          () -> {
            name("parts");
            oddOr(() -> array(3, () -> oddOr(() -> object(part()))));
          });
      repeatOne(members);
      return members;
    }

    private List<Runnable> parts(String name, boolean ignored) {
      List<Runnable> members = new ArrayList<>();
      members.add(
          () -> {
            name(name);
            oddOr(() -> array(3, () -> oddOr(() -> object(part()))));
          });
      return members;
    }

    private List<Runnable> part() {
      List<Runnable> members = new ArrayList<>();
      switch (random.nextInt(5)) {
        case 0 -> maybe(members, "functionCall", () -> oddOr(() -> any(2)));
        case 1 -> maybe(members, "functionResponse", () -> oddOr(() -> any(2)));
        case 2 -> maybe(members, random.nextBoolean() ? "inlineData" : "fileData", () -> any(2));
        default -> members.add(() -> member("text", () -> oddOr(this::text)));
      }
      if (random.nextInt(8) == 0) {
        maybe(members, "inline_data", () -> any(1));
      }
      repeatOne(members);
      return members;
    }

    String converse() {
      List<Runnable> members = new ArrayList<>();
      maybe(members, "system", () -> oddOr(() -> array(2, () -> oddOr(this::textBlock))));
      maybe(members, "messages", () -> oddOr(() -> array(3, () -> oddOr(this::message))));
      maybe(members, "toolConfig", () -> oddOr(this::toolConfig));
      maybe(
          members,
          "inferenceConfig",
          () -> oddOr(() -> object(List.of(() -> member("maxTokens", () -> oddOr(this::number))))));
      repeatOne(members);
      object(members);
      return out.toString();
    }

    private void textBlock() {
      object(List.of(() -> member("text", () -> oddOr(this::text))));
    }

    private void message() {
      List<Runnable> message = new ArrayList<>();
      maybe(message, "role", this::text);
      message.add(
          () -> member("content", () -> oddOr(() -> array(3, () -> oddOr(() -> block(2))))));
      repeatOne(message);
      object(message);
    }

    private void toolConfig() {
      object(List.of(() -> member("tools", () -> oddOr(() -> array(2, () -> any(3))))));
    }

    private void block(int depth) {
      List<Runnable> members = new ArrayList<>();
      switch (random.nextInt(6)) {
        case 0 -> members.add(() -> member("toolUse", () -> oddOr(this::toolUse)));
        case 1 -> members.add(() -> member("toolResult", () -> toolResult(depth)));
        case 2 -> members.add(() -> member("reasoningContent", this::reasoning));
        case 3 ->
            members.add(
                () ->
                    member(
                        pick("image", "document", "video", "audio", "searchResult"), () -> any(2)));
        default -> members.add(() -> member("text", () -> oddOr(this::text)));
      }
      repeatOne(members);
      object(members);
    }

    private void toolUse() {
      object(List.of(() -> member("name", this::text), () -> member("input", () -> any(2))));
    }

    private void toolResult(int depth) {
      Runnable inner =
          () -> {
            if (depth > 0 && random.nextBoolean()) {
              block(depth - 1);
            } else {
              object(List.of(() -> member("json", () -> any(2))));
            }
          };
      object(List.of(() -> member("content", () -> array(2, inner))));
    }

    private void reasoning() {
      object(List.of(() -> member("reasoningText", this::textBlock)));
    }

    /** Arbitrary JSON whose object members are named from {@code keys}. */
    String arbitrary(String[] keys) {
      List<Runnable> members = new ArrayList<>();
      for (int k = random.nextInt(6); k >= 0; k--) {
        String key = keys[random.nextInt(keys.length)];
        members.add(() -> member(key, () -> arbitraryValue(keys, 4)));
      }
      object(members);
      return out.toString();
    }

    private void arbitraryValue(String[] keys, int depth) {
      switch (depth <= 0 ? random.nextInt(3) : random.nextInt(6)) {
        case 0 -> text();
        case 1 -> number();
        case 2 -> out.append(pick("true", "false", "null"));
        case 3 -> array(3, () -> arbitraryValue(keys, depth - 1));
        default -> {
          List<Runnable> members = new ArrayList<>();
          for (int k = random.nextInt(4); k >= 0; k--) {
            String key = keys[random.nextInt(keys.length)];
            members.add(() -> member(key, () -> arbitraryValue(keys, depth - 1)));
          }
          object(members);
        }
      }
    }

    private void maybe(List<Runnable> members, String name, Runnable value) {
      if (random.nextInt(4) > 0) {
        members.add(() -> member(name, value));
      }
    }

    /** Now and then, one of the members twice (a later one replaces it in the tree). */
    private void repeatOne(List<Runnable> members) {
      if (!members.isEmpty() && random.nextInt(12) == 0) {
        members.add(members.get(random.nextInt(members.size())));
      }
    }

    private void oddOr(Runnable usual) {
      if (random.nextInt(10) == 0) {
        any(2);
      } else {
        usual.run();
      }
    }

    private void any(int depth) {
      arbitraryValue(KEYS, depth);
    }

    private void member(String name, Runnable value) {
      name(name);
      value.run();
    }

    private void name(String name) {
      out.append('"').append(name).append("\":");
    }

    private void object(List<Runnable> members) {
      List<Runnable> shuffled = new ArrayList<>(members);
      Collections.shuffle(shuffled, random);
      out.append(random.nextInt(8) == 0 ? "{ " : "{");
      for (int k = 0; k < shuffled.size(); k++) {
        if (k > 0) {
          out.append(random.nextInt(8) == 0 ? " , " : ",");
        }
        shuffled.get(k).run();
      }
      out.append('}');
    }

    private void array(int most, Runnable element) {
      out.append('[');
      for (int k = random.nextInt(most + 1); k > 0; k--) {
        element.run();
        if (k > 1) {
          out.append(',');
        }
      }
      out.append(']');
    }

    private void text() {
      out.append('"');
      for (int k = random.nextInt(3); k >= 0; k--) {
        out.append(WORDS[random.nextInt(WORDS.length)]);
      }
      out.append('"');
    }

    private void number() {
      out.append(NUMBERS[random.nextInt(NUMBERS.length)]);
    }

    private String pick(String... choices) {
      return choices[random.nextInt(choices.length)];
    }
  }
}
