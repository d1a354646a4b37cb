package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.tokens.TokenCounter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The prompt counted off the bytes with a streaming parser equals the count of the body's tree, for
 * random request bodies of every OpenAI operation: well-formed ones of every shape the rules read
 * (and wrong types, repeated members, escapes, non-ASCII text), and broken ones.
 */
@Tag("compute-bound")
class PromptTokensStreamingTest {

  private static final int BODIES = 1_500;

  // An image bound no text sums to by chance, so a part misread as an image shows.
  private static final TokenCounter COUNTER = TokenCounter.builder().imageTokens(7_919).build();

  private static final String[] WORDS =
      RandomJsonText.words("get_weather", "{\"city\":\"Rome\"}", "text", "image_url", "system");

  private static final String[] PART_TYPES = {
    "text",
    "input_text",
    "output_text",
    "refusal",
    "summary_text",
    "reasoning_text",
    "image_url",
    "input_image",
    "input_audio",
    "file",
    "",
    "TEXT"
  };

  private static final String[] MESSAGE_KEYS =
      RandomJsonText.messageKeys("type", "id", "status", "arguments", "output", "call_id");

  private static final String[] TOP_KEYS = {
    "model",
    "messages",
    "tools",
    "functions",
    "prompt",
    "suffix",
    "input",
    "instructions",
    "max_tokens",
    "stream",
    "temperature",
    "response_format",
    "text",
    "metadata",
    "n"
  };

  @ParameterizedTest
  @EnumSource(
      value = Operation.class,
      names = {"CHAT_COMPLETIONS", "COMPLETIONS", "EMBEDDINGS", "RESPONSES"})
  void randomBodiesCountTheSameAsTheirTree(Operation operation) throws Exception {
    Random random = new Random(operation.ordinal() * 7_919L + 17);
    int streamed = 0;
    int walked = 0;
    int nonZero = 0;
    for (int n = 0; n < BODIES; n++) {
      String body = new Body(random).topLevel();
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      String model = random.nextInt(4) == 0 ? null : random.nextBoolean() ? "gpt-4" : "gpt-4o";
      JsonNode tree = Json.parseOrNull(bytes, 0, bytes.length);
      int expected = PromptTokens.count(COUNTER, model, operation, tree);
      try {
        int count = PromptTokens.streamed(COUNTER, model, operation, bytes, false);
        assertThat(count).as("streamed count of %s", body).isEqualTo(expected);
        streamed++;
      } catch (Exception fallsBack) {
        // counted on the tree by countJson, below
      }
      if (strict(bytes)) {
        try {
          int count = PromptTokens.streamed(COUNTER, model, operation, bytes, true);
          assertThat(count).as("count of the strict bytes %s", body).isEqualTo(expected);
          walked++;
        } catch (Exception fallsBack) {
          // counted on the tree by the request view
        }
      }
      assertThat(PromptTokens.countJson(COUNTER, model, operation, bytes))
          .as("count of %s", body)
          .isEqualTo(expected);
      // The text may hold a lone surrogate, which its UTF-8 bytes do not: it has its own tree.
      assertThat(PromptTokens.countJson(COUNTER, model, operation, body))
          .as("count of the text %s", body)
          .isEqualTo(PromptTokens.count(COUNTER, model, operation, Json.MAPPER.readTree(body)));
      nonZero += expected > 0 ? 1 : 0;
    }
    // Most bodies take the streaming read (repeated counted members fall back), and count tokens.
    assertThat(streamed).isGreaterThan(BODIES * 3 / 4);
    assertThat(walked).isGreaterThan(BODIES / 2);
    assertThat(nonZero).isGreaterThan(BODIES / 4);
  }

  @org.junit.jupiter.api.Test
  void eachStringIsCountedAsItsOwnTextWhateverTheStringsScannedOrSkippedBeforeIt()
      throws Exception {
    // Plain ASCII, escaped and non-ASCII strings next to each other and to skipped containers
    // holding strings of the other kinds: each string's count must be that of its own text.
    String body =
        "{\"a\":\"plain words\",\"b\":{\"x\":\"d\u00e9j\u00e0\"},\"c\":\"more plain\","
            + "\"d\":[\"tab\\tand\\\"quote\"],\"e\":\"caf\u00e9 cr\u00e8me\",\"f\":{\"y\":\"ascii\"},"
            + "\"g\":\"line\\nbreak\",\"h\":\"plain again\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    assertThat(strict(bytes)).isTrue();
    var encoding = dev.aigateway.core.tokens.TokenEncoding.O200K_BASE;
    java.util.List<String> expected = new java.util.ArrayList<>();
    java.util.List<Integer> counted = new java.util.ArrayList<>();
    try (JsonTokens walked = JsonTokens.ofStrict(bytes)) {
      boolean root = true;
      for (com.fasterxml.jackson.core.JsonToken token = walked.nextToken();
          token != null;
          token = walked.nextToken()) {
        if (token == com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
          expected.add(walked.getText());
          counted.add(walked.countText(COUNTER, encoding));
        } else if (token != com.fasterxml.jackson.core.JsonToken.FIELD_NAME && !root) {
          walked.skipChildren(); // every container but the root (nothing to skip for the rest)
        }
        root = false;
      }
    }
    assertThat(expected)
        .containsExactly(
            "plain words", "more plain", "caf\u00e9 cr\u00e8me", "line\nbreak", "plain again");
    for (int k = 0; k < expected.size(); k++) {
      assertThat(counted.get(k))
          .as(expected.get(k))
          .isEqualTo(COUNTER.countText(encoding, expected.get(k)));
    }
  }

  /**
   * Member names on strict bytes read as Jackson reads them: the names the count compares (shared
   * strings), names of their lengths that are none of them, other names, escaped spellings.
   */
  @org.junit.jupiter.api.Test
  void namesOnStrictBytesReadAsJacksonReadsThem() throws Exception {
    List<String> names = new ArrayList<>();
    for (String name : JsonTokens.sharedNames()) {
      names.add(name);
      names.add(name.substring(0, name.length() - 1) + "z"); // its length, its last byte off
      names.add(Character.toUpperCase(name.charAt(0)) + name.substring(1));
      names.add(name + "s");
      names.add("\\u00" + Integer.toHexString(name.charAt(0)) + name.substring(1)); // escaped
    }
    names.addAll(
        List.of("", "x", "ix", "r\u00f4le", "caf\u00e9", "\u00e9", "r\\u00f4le", "a\\\"b", "\\\\"));
    for (String spelled : names) {
      byte[] bytes =
          ("{\"" + spelled + "\":[\"" + spelled + "\"]}").getBytes(StandardCharsets.UTF_8);
      assertThat(strict(bytes)).as(spelled).isTrue();
      try (JsonTokens parsed = JsonTokens.of(Json.MAPPER.getFactory().createParser(bytes));
          JsonTokens walked = JsonTokens.ofStrict(bytes)) {
        for (int k = 0; k < 2; k++) {
          parsed.nextToken();
          walked.nextToken();
        }
        assertThat(walked.currentName()).as(spelled).isEqualTo(parsed.currentName());
        for (int k = 0; k < 2; k++) {
          parsed.nextToken();
          walked.nextToken();
        }
        assertThat(walked.getText()).as(spelled).isEqualTo(parsed.getText());
        assertThat(walked.countText(COUNTER, dev.aigateway.core.tokens.TokenEncoding.O200K_BASE))
            .as(spelled)
            .isEqualTo(
                parsed.countText(COUNTER, dev.aigateway.core.tokens.TokenEncoding.O200K_BASE));
      }
    }
  }

  @org.junit.jupiter.api.Test
  void theWalkOnStrictBytesReadsTheTokensJacksonReads() throws Exception {
    Random random = new Random(2026);
    int compared = 0;
    for (int n = 0; n < BODIES; n++) {
      byte[] bytes = new Body(random).topLevel().getBytes(StandardCharsets.UTF_8);
      if (!strict(bytes)) {
        continue;
      }
      compared++;
      long skips = random.nextLong();
      try (JsonTokens parsed = JsonTokens.of(Json.MAPPER.getFactory().createParser(bytes));
          JsonTokens walked = JsonTokens.ofStrict(bytes)) {
        int at = 0;
        for (com.fasterxml.jackson.core.JsonToken token = parsed.nextToken();
            token != null;
            token = parsed.nextToken(), at++) {
          String where = new String(bytes, StandardCharsets.UTF_8) + " token " + at;
          assertThat(walked.nextToken()).as(where).isEqualTo(token);
          switch (token) {
            case FIELD_NAME -> assertThat(walked.currentName()).isEqualTo(parsed.currentName());
            case VALUE_STRING -> {
              assertThat(walked.getText()).as(where).isEqualTo(parsed.getText());
              assertThat(
                      walked.countText(COUNTER, dev.aigateway.core.tokens.TokenEncoding.O200K_BASE))
                  .isEqualTo(
                      parsed.countText(
                          COUNTER, dev.aigateway.core.tokens.TokenEncoding.O200K_BASE));
            }
            case START_OBJECT, START_ARRAY -> {
              if ((skips >>> (at % 64) & 1) == 1 && at > 0) {
                if (random.nextInt(3) == 0) {
                  assertThat(walked.readTree()).as(where).isEqualTo(parsed.readTree());
                } else {
                  parsed.skipChildren();
                  walked.skipChildren();
                }
              }
            }
            default -> {
              // the token alone
            }
          }
        }
        assertThat(walked.nextToken()).isNull();
      }
    }
    assertThat(compared).isGreaterThan(BODIES / 2);
  }

  @ParameterizedTest
  @EnumSource(
      value = Operation.class,
      names = {"CHAT_COMPLETIONS", "COMPLETIONS", "EMBEDDINGS", "RESPONSES"})
  void brokenBodiesCountTheSameAsTheirTree(Operation operation) {
    Random random = new Random(operation.ordinal() * 31L + 5);
    for (int n = 0; n < BODIES; n++) {
      byte[] bytes =
          RandomJsonText.broken(
              new Body(random).topLevel().getBytes(StandardCharsets.UTF_8), random);
      String model = random.nextBoolean() ? null : "gpt-4o";
      int expected =
          PromptTokens.count(COUNTER, model, operation, Json.parseOrNull(bytes, 0, bytes.length));
      assertThat(PromptTokens.countJson(COUNTER, model, operation, bytes))
          .as("count of %s", new String(bytes, StandardCharsets.UTF_8))
          .isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Operation.class,
      names = {"CHAT_COMPLETIONS", "COMPLETIONS", "EMBEDDINGS", "RESPONSES", "MESSAGES"})
  void theRequestViewCountsAsTheTreeWhetherOrNotItBuiltOne(Operation operation) {
    Random random = new Random(operation.ordinal() + 99L);
    for (int n = 0; n < BODIES / 10; n++) {
      String body = new Body(random).topLevel();
      OpenAiRequest fresh = view(operation, body);
      OpenAiRequest withTree = view(operation, body);
      withTree.body();
      int expected =
          fresh.bodyUnderstood()
              ? PromptTokens.count(COUNTER, fresh.model(), operation, fresh.body())
              : 0;
      OpenAiRequest counted = view(operation, body);
      assertThat(counted.promptTokens(COUNTER, operation)).as(body).isEqualTo(expected);
      assertThat(withTree.promptTokens(COUNTER, operation)).as(body).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"b b b\"}]}",
        "{\"messages\":[],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"messages\":[{\"content\":[{\"type\":\"image_url\",\"type\":\"text\",\"text\":\"x\"}]}]}",
        "{\"messages\":[{\"tool_calls\":[{\"function\":{\"name\":\"f\",\"name\":\"gg\"}}]}]}",
        "{\"messages\":[{\"tool_calls\":[{\"function\":{\"name\":\"f\"},\"function\":{}}]}]}",
        "{\"tools\":[{\"function\":{\"name\":\"f\",\"name\":\"g\"}}]}",
        "{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\"}},"
            + "\"response_format\":{\"type\":\"json_object\"}}",
        "{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\"},"
            + "\"json_schema\":{\"name\":\"a longer name\"}}}"
      })
  void repeatedMembersCountAsTheTreeKeepsThem(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    int expected =
        PromptTokens.count(
            COUNTER,
            "gpt-4o",
            Operation.CHAT_COMPLETIONS,
            Json.parseOrNull(bytes, 0, bytes.length));
    assertThat(PromptTokens.countJson(COUNTER, "gpt-4o", Operation.CHAT_COMPLETIONS, bytes))
        .isEqualTo(expected);
  }

  /** Whether the body is one object {@link StrictJson} accepts whole, as the request view asks. */
  private static boolean strict(byte[] body) {
    int start = StrictJson.skipSpace(body, 0, body.length);
    if (start >= body.length || body[start] != '{' || body.length > StrictJson.MAX_LENGTH) {
      return false;
    }
    int end = StrictJson.NOT_NOTING.value(body, start, body.length, 0);
    return end >= 0 && StrictJson.skipSpace(body, end, body.length) == body.length;
  }

  private static OpenAiRequest view(Operation operation, String body) {
    return view(operation, body.getBytes(StandardCharsets.UTF_8), null);
  }

  /** The request view of {@code body} posted for {@code operation}, without a bound on its size. */
  static OpenAiRequest view(Operation operation, byte[] body, String deployment) {
    WireFormat format =
        operation == Operation.MESSAGES
            ? AnthropicMessagesFormat.INSTANCE
            : OpenAiFormat.of(operation);
    return new OpenAiRequest(
        format,
        new CallMatch(operation, deployment),
        new PostedRequest("http://localhost/v1/x", body),
        Integer.MAX_VALUE);
  }

  /** A random request body's JSON text, written by hand so members can repeat. */
  private static final class Body extends RandomJsonText {

    Body(Random random) {
      super(random, WORDS);
    }

    String topLevel() {
      List<Runnable> members = new ArrayList<>();
      for (String key : TOP_KEYS) {
        if (random.nextInt(3) > 0) {
          members.add(() -> topMember(key));
        }
      }
      if (random.nextInt(10) == 0) { // a counted member twice
        String key = TOP_KEYS[1 + random.nextInt(7)];
        members.add(() -> topMember(key));
      }
      return document(members);
    }

    private void topMember(String key) {
      name(key);
      switch (key) {
        case "model" -> model(5, "gpt-4o-mini", "gpt-3.5-turbo");
        case "messages" -> oddOr(() -> array(4, () -> message(false)));
        case "tools", "functions" -> oddOr(() -> array(3, this::tool));
        case "prompt", "input" -> {
          switch (random.nextInt(5)) {
            case 0 -> text();
            case 1 -> array(4, this::textOrTokenIds);
            case 2 -> array(4, () -> message(true)); // Responses items
            case 3 -> array(4, () -> oddOr(this::text));
            default -> any(2);
          }
        }
        case "suffix", "instructions" -> oddOr(this::text);
        case "response_format" -> oddOr(() -> format(true));
        case "text" ->
            oddOr(
                () ->
                    object(
                        List.of(
                            () -> {
                              name("format");
                              oddOr(() -> format(false));
                            })));
        default -> any(3);
      }
    }

    private void message(boolean responsesItem) {
      if (random.nextInt(12) == 0) {
        any(2);
        return;
      }
      List<Runnable> members =
          someMembers(
              MESSAGE_KEYS, responsesItem ? 3 : 4, "content"::equals, 25, this::messageMember);
      java.util.Collections.shuffle(members, random);
      object(members);
    }

    private void messageMember(String key) {
      name(key);
      switch (key) {
        case "content" -> {
          switch (random.nextInt(4)) {
            case 0 -> text();
            case 1, 2 -> array(4, this::part);
            default -> oddOr(this::text);
          }
        }
        case "tool_calls" -> oddOr(() -> array(3, this::toolCall));
        case "function_call" -> oddOr(this::stringValues);
        default -> oddOr(this::text);
      }
    }

    private void part() {
      if (random.nextInt(6) == 0) {
        oddOr(this::text);
        return;
      }
      List<Runnable> members = new ArrayList<>();
      if (random.nextInt(6) > 0) {
        members.add(
            () -> {
              name("type");
              if (random.nextInt(6) == 0) {
                any(1);
              } else {
                string(PART_TYPES[random.nextInt(PART_TYPES.length)]);
              }
            });
      }
      for (String key : new String[] {"text", "refusal", "image_url", "detail"}) {
        if (random.nextInt(3) == 0 || (key.equals("text") && random.nextBoolean())) {
          members.add(
              () -> {
                name(key);
                oddOr(this::text);
              });
        }
      }
      if (random.nextInt(30) == 0) {
        members.add(
            () -> {
              name("text");
              text();
            });
      }
      java.util.Collections.shuffle(members, random);
      object(members);
    }

    private void toolCall() {
      List<Runnable> members = new ArrayList<>();
      members.add(
          () -> {
            name("id");
            text();
          });
      members.add(
          () -> {
            name(random.nextInt(4) == 0 ? "custom" : "function");
            oddOr(this::stringValues);
          });
      if (random.nextInt(5) == 0) {
        members.add(
            () -> {
              name(random.nextBoolean() ? "custom" : "type");
              oddOr(this::stringValues);
            });
      }
      java.util.Collections.shuffle(members, random);
      object(members);
    }

    private void stringValues() {
      List<Runnable> members = new ArrayList<>();
      int count = random.nextInt(4);
      for (int k = 0; k < count; k++) {
        String key = random.nextInt(20) == 0 ? "name" : "k" + random.nextInt(6);
        members.add(
            () -> {
              name(key);
              oddOr(this::text);
            });
      }
      object(members);
    }

    private void tool() {
      if (random.nextInt(8) == 0) {
        any(2);
        return;
      }
      List<Runnable> members = new ArrayList<>();
      members.add(
          () -> {
            name("type");
            string("function");
          });
      members.add(
          () -> {
            name(random.nextInt(4) == 0 ? "name" : "function");
            oddOr(() -> any(3));
          });
      if (random.nextInt(4) == 0) {
        members.add(
            () -> {
              name("parameters");
              any(3);
            });
      }
      object(members);
    }

    /**
     * A structured-output format: chat's {@code {"type", "json_schema": {...}}} when {@code chat},
     * else the Responses API's flat {@code {"type", "name", "schema"}}; of any type.
     */
    private void format(boolean chat) {
      List<Runnable> members = new ArrayList<>();
      members.add(
          () -> {
            name("type");
            switch (random.nextInt(4)) {
              case 0 -> string("json_object");
              case 1 -> any(1);
              default -> string("json_schema");
            }
          });
      Runnable schema =
          () -> {
            name("schema");
            any(3);
          };
      if (chat) {
        members.add(
            () -> {
              name("json_schema");
              oddOr(() -> object(List.of(schema)));
            });
      } else {
        members.add(schema);
      }
      object(members);
    }

    private void textOrTokenIds() {
      switch (random.nextInt(4)) {
        case 0 -> text();
        case 1 -> out.append(random.nextInt(100_000));
        case 2 -> array(5, () -> oddOr(() -> out.append(random.nextInt(50_000))));
        default -> any(1);
      }
    }

    /** Mostly {@code usual}, sometimes a value of any other type. */
    private void oddOr(Runnable usual) {
      if (random.nextInt(8) == 0) {
        any(2);
      } else {
        usual.run();
      }
    }
  }
}
