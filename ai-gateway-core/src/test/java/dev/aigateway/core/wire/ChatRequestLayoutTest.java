package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A chat request read by a layout learnt from a request before ({@link ChatRequestLayout}) reads
 * exactly what the whole walk reads: for requests of random layouts (members in every order,
 * whitespace anywhere, nested values, stream options) each learnt from one request and then matched
 * by requests with every scalar value replaced by values valid and not (escapes, non-ASCII text,
 * control characters, broken UTF-8, numbers and literals of every form, counts too long or with
 * leading zeros, a value of another type, an object or array in a scalar's place), and with bytes
 * changed, put in, taken out or cut off: the fields, the prompt's noted strings and its fixed
 * tokens and the prompt's count are those of the walk that never matches, and the count is the
 * tree's.
 */
class ChatRequestLayoutTest {

  private static final TokenCounter COUNTER = TokenCounter.builder().build();

  private static final String[] TOP_KEYS = {
    "model",
    "messages",
    "max_tokens",
    "stream",
    "temperature",
    "metadata",
    "n",
    "user",
    "max_completion_tokens",
    "max_output_tokens",
    "stream_options"
  };

  /** Values a request matched may have in a scalar's place, valid or not. */
  private static final String[] VALUES = {
    "\"gpt-4o-mini\"",
    "\"gpt-4\"",
    "\"\"",
    "\"Hello there, all of you.\"",
    "\"caf\u00e9\"",
    "\"\\u00e9 and \\n\"",
    "\"\\ud83d\\ude42\"",
    "\"tab\there\"",
    "\"bad \\x escape\"",
    "\"unclosed",
    "\"a\\\"quote\"",
    "\"back\\\\slash\"",
    "\"\u007f\"",
    "0",
    "7",
    "64",
    "4096",
    "123456789012345678",
    "1234567890123456789",
    "007",
    "01",
    "-1",
    "-0",
    "1.",
    "1.0",
    "2.5",
    "1e3",
    "1e400",
    "-",
    "true",
    "false",
    "null",
    "tru",
    "nullx",
    "fals",
    "{}",
    "[]",
    "{\"include_usage\":true}",
    "[\"x\"]"
  };

  @BeforeEach
  @AfterEach
  void forget() {
    ChatRequestLayout.forgetKept();
  }

  @Test
  void requestsMatchedReadWhatTheWalkReads() throws IOException {
    Random random = new Random(20261206L);
    int matched = 0;
    int walked = 0;
    for (int t = 0; t < 400; t++) {
      ChatRequestLayout.forgetKept();
      byte[] template = new Request(random).body().getBytes(UTF_8);
      assertReadAsWalked(template); // learns its layout, if it is one learnt from
      List<int[]> values = scalarValues(template);
      for (int v = 0; v < 25; v++) {
        byte[] variant = variant(template, values, random);
        if (random.nextInt(6) == 0) {
          variant = RandomJsonText.broken(variant, random);
        }
        if (assertReadAsWalked(variant)) {
          matched++;
        } else {
          walked++;
        }
      }
    }
    // Both ways taken in earnest.
    assertThat(matched).isGreaterThan(2_000);
    assertThat(walked).isGreaterThan(2_000);
  }

  @Test
  void requestsOfTwoLayoutsThatDifferOnlyAtTheirEndAreBothMatched() {
    String json =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are"
            + " terse.\"},{\"role\":\"user\",\"content\":\"%s\"}],\"max_tokens\":%d%s}";
    int matched = 0;
    for (int k = 0; k < 40; k++) {
      boolean stream = k % 2 == 1;
      String body = String.format(json, "Say hello " + k, k * 7, stream ? ",\"stream\":true" : "");
      byte[] bytes = body.getBytes(UTF_8);
      if (assertReadAsWalked(bytes)) {
        matched++;
      }
      OpenAiRequest chat = view(bytes);
      assertThat(chat.stream()).isEqualTo(stream);
      assertThat(chat.maxOutputTokens().getAsLong()).isEqualTo(k * 7L);
    }
    assertThat(matched).as("all but the first of each layout").isEqualTo(38);
  }

  @Test
  void aRequestOfTheLayoutLongerThanTheWalkReadsIsReadAsTheWalkReadsIt() {
    String json = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";
    assertThat(assertReadAsWalked(String.format(json, "hi").getBytes(UTF_8))).isFalse();
    assertThat(assertReadAsWalked(String.format(json, "hello").getBytes(UTF_8))).isTrue();
    byte[] longer = String.format(json, "word ".repeat(StrictJson.MAX_LENGTH / 5)).getBytes(UTF_8);
    assertThat(assertReadAsWalked(longer)).isFalse();
    assertThat(OpenAiRequest.TopLevelFields.of(longer, true).strict).isFalse();
  }

  @Test
  void aRequestOfAnotherShapeIsNeitherLearntNorMatched() {
    String[] bodies = {
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
      "{\"model\":null,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
      "{\"model\":\"gpt-\\u0034o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          + "\"max_tokens\":-1}",
      "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          + "\"stream\":\"yes\"}",
      "{\"model\":\"gpt-4o\",\"messages\":[{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
      "{\"tools\":[],\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
    };
    for (String body : bodies) {
      byte[] bytes = body.getBytes(UTF_8);
      assertThat(assertReadAsWalked(bytes)).as(body).isFalse();
      assertThat(assertReadAsWalked(bytes)).as("again: %s", body).isFalse();
    }
  }

  @Test
  void theLearntLayoutReadsTheRequestItWasLearntFrom() {
    byte[] body =
        ("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"name\":\"bob\","
                + "\"content\":\"hi\"}],\"n\":2,\"max_completion_tokens\":9,\"stream\":false}")
            .getBytes(UTF_8);
    OpenAiRequest.TopLevelFields walked = OpenAiRequest.TopLevelFields.walked(body, true);
    ChatRequestLayout layout = ChatRequestLayout.learn(body, walked);
    assertThat(layout).isNotNull();
    OpenAiRequest.TopLevelFields matched = new OpenAiRequest.TopLevelFields();
    matched.prompt = new ChatPromptSpans();
    assertThat(layout.match(body, matched)).isTrue();
    assertThat(matched.sameAs(walked)).isTrue();
    assertThat(matched.choices).isEqualTo(2);
    assertThat(matched.maxCompletionTokens).isEqualTo(9);
  }

  /**
   * Reads {@code bytes} as a chat request (matched when a layout kept fits) and checks it against
   * the walk: the same fields, the same prompt noted, the same count as the tree's. Returns whether
   * it was matched.
   */
  private static boolean assertReadAsWalked(byte[] bytes) {
    String body = new String(bytes, UTF_8);
    OpenAiRequest.TopLevelFields walked = OpenAiRequest.TopLevelFields.walked(bytes, true);
    OpenAiRequest chat = view(bytes);
    boolean matched = chat.fieldsReadByLayout(); // its first read: matched, or walked and learnt
    OpenAiRequest.TopLevelFields read = OpenAiRequest.TopLevelFields.of(bytes, true);
    assertThat(read.sameAs(walked)).as("fields of %s (matched %s)", body, matched).isTrue();
    if (chat.bodyUnderstood()) {
      int tree =
          PromptTokens.count(
              COUNTER,
              chat.model(),
              Operation.CHAT_COMPLETIONS,
              Json.parseOrNull(bytes, 0, bytes.length));
      assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
          .as("count of %s (matched %s)", body, matched)
          .isEqualTo(tree);
    }
    OpenAiRequest plain = PromptTokensStreamingTest.view(Operation.EMBEDDINGS, bytes, null);
    assertThat(chat.model()).as(body).isEqualTo(plain.model());
    assertThat(chat.stream()).as(body).isEqualTo(plain.stream());
    assertThat(chat.maxOutputTokens()).as(body).isEqualTo(plain.maxOutputTokens());
    assertThat(chat.choices()).as(body).isEqualTo(plain.choices());
    assertThat(chat.rewrittenBody("other", true))
        .as(body)
        .isEqualTo(plain.rewrittenBody("other", true));
    return matched;
  }

  private static OpenAiRequest view(byte[] bytes) {
    return PromptTokensStreamingTest.view(Operation.CHAT_COMPLETIONS, bytes, null);
  }

  /** Where each scalar value of the JSON {@code bytes} lies: its first byte and after its last. */
  private static List<int[]> scalarValues(byte[] bytes) throws IOException {
    List<int[]> values = new ArrayList<>();
    try (JsonParser p = Json.MAPPER.getFactory().createParser(bytes)) {
      for (JsonToken token = p.nextToken(); token != null; token = p.nextToken()) {
        if (token.isScalarValue()) {
          int start = (int) p.currentTokenLocation().getByteOffset();
          p.finishToken();
          values.add(new int[] {start, (int) p.currentLocation().getByteOffset()});
        }
      }
    }
    return values;
  }

  /**
   * {@code template} with some of its scalar values replaced: by valid values of their kind, or one
   * of them by any value, or several by any values.
   */
  private static byte[] variant(byte[] template, List<int[]> values, Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int from = 0;
    int mode = random.nextInt(3);
    int one = values.isEmpty() ? -1 : random.nextInt(values.size());
    for (int k = 0; k < values.size(); k++) {
      int[] value = values.get(k);
      out.write(template, from, value[0] - from);
      String replacement =
          switch (mode) {
            case 0 -> random.nextInt(3) == 0 ? sameKind(template, value, random) : null;
            case 1 -> k == one ? VALUES[random.nextInt(VALUES.length)] : null;
            default -> random.nextInt(4) == 0 ? VALUES[random.nextInt(VALUES.length)] : null;
          };
      if (replacement != null) {
        byte[] bytes = replacement.getBytes(UTF_8);
        if (random.nextInt(200) == 0 && bytes.length > 1) {
          bytes[random.nextInt(bytes.length)] = (byte) 0xc3; // broken UTF-8
        }
        out.writeBytes(bytes);
      } else {
        out.write(template, value[0], value[1] - value[0]);
      }
      from = value[1];
    }
    out.write(template, from, template.length - from);
    return out.toByteArray();
  }

  /** A valid value of the same kind as the template's {@code value}: a string, number, literal. */
  private static String sameKind(byte[] template, int[] value, Random random) {
    byte first = template[value[0]];
    if (first == '"') {
      String[] strings = {"\"gpt-4o\"", "\"x\"", "\"Hi all\"", "\"\\n\"", "\"\u00e9t\u00e9\""};
      return strings[random.nextInt(strings.length)];
    }
    if (first == 't' || first == 'f' || first == 'n') {
      return new String[] {"true", "false", "null"}[random.nextInt(3)];
    }
    return String.valueOf(random.nextInt(random.nextBoolean() ? 10 : 100_000));
  }

  /** A random chat request of the common shape, now and then outside it. */
  private static final class Request extends RandomJsonText {

    Request(Random random) {
      super(random, RandomJsonText.words("You are a terse assistant."));
    }

    String body() {
      List<Runnable> members = new ArrayList<>();
      for (String key : TOP_KEYS) {
        boolean wanted =
            switch (key) {
              case "messages" -> random.nextInt(15) > 0;
              case "stream_options" -> random.nextInt(10) == 0;
              default -> random.nextInt(3) > 0;
            };
        if (wanted) {
          members.add(() -> member(key));
        }
      }
      if (random.nextInt(30) == 0) {
        members.add(() -> member("model"));
      }
      return document(members);
    }

    private void member(String key) {
      name(key);
      switch (key) {
        case "model" -> model(10, "gpt-4o-mini", "gpt-4", "");
        case "messages" -> array(4, this::message);
        case "stream" -> out.append(random.nextInt(8) == 0 ? "null" : "true");
        case "stream_options" -> out.append("{\"include_usage\":true}");
        case "max_tokens", "max_completion_tokens", "max_output_tokens", "n" ->
            out.append(random.nextInt(10) == 0 ? "-3" : String.valueOf(random.nextInt(5_000)));
        default -> any(2);
      }
    }

    private void message() {
      List<Runnable> members =
          someMembers(
              RandomJsonText.messageKeys(),
              4,
              key -> key.equals("content") || key.equals("role"),
              60,
              key -> {
                name(key);
                if (random.nextInt(12) == 0) {
                  scalar();
                } else {
                  text();
                }
              });
      object(members);
    }
  }
}
