package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.adapter.PostedRequest;
import dev.aigateway.core.tokens.TokenCounter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A chat request's prompt noted in the walk that reads its fields ({@link ChatPromptSpans}) counts
 * what {@link PromptTokens} counts on the body's tree and on its own walk of the strict bytes, for
 * random chat bodies of the common shape and just outside it (escapes, non-ASCII text, lone
 * surrogates, repeated and escaped names, nested values, tools, every member order, whitespace),
 * and the fields read in that walk are the ones read without it, for those bodies and broken ones.
 */
class ChatPromptSpansTest {

  private static final int BODIES = 3_000;

  private static final TokenCounter COUNTER = TokenCounter.builder().imageTokens(7_919).build();

  private static final String[] WORDS = {
    "hello",
    "the",
    "weather",
    "in",
    "Paris",
    "déjà vu",
    "日本語のテキスト",
    "🙂 emoji",
    "a\"quote",
    "back\\slash",
    "line\nbreak",
    "tab\t",
    "",
    " ",
    "<|endoftext|>",
    "name",
    "user",
    "\ud800",
    "You are a terse assistant."
  };

  private static final String[] MESSAGE_KEYS = {
    "role",
    "content",
    "name",
    "tool_call_id",
    "tool_calls",
    "function_call",
    "refusal",
    "audio",
    "names",
    "nam",
    "Name",
    "日本",
  };

  private static final String[] TOP_KEYS = {
    "model",
    "messages",
    "max_tokens",
    "stream",
    "stream_options",
    "temperature",
    "metadata",
    "n",
    "user",
    "max_completion_tokens"
  };

  @Test
  void randomChatBodiesCountAsTheTreeAndTheOwnWalkCount() throws Exception {
    Random random = new Random(20261205L);
    int noted = 0;
    int notNoted = 0;
    for (int n = 0; n < BODIES; n++) {
      String body = new Body(random).topLevel();
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, random.nextInt(3) == 0);
      int expected =
          chat.bodyUnderstood()
              ? PromptTokens.count(
                  COUNTER,
                  chat.model(),
                  Operation.CHAT_COMPLETIONS,
                  Json.parseOrNull(bytes, 0, bytes.length))
              : 0;
      assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
          .as("count of %s", body)
          .isEqualTo(expected);
      if (chat.promptNotedWithFields()) {
        noted++;
        // The walk of its own on the same strict bytes, the path this one replaces.
        assertThat(
                PromptTokens.streamed(
                    COUNTER, chat.model(), Operation.CHAT_COMPLETIONS, bytes, true))
            .as("own walk of %s", body)
            .isEqualTo(expected);
      } else {
        notNoted++;
      }
      assertSameFields(bytes, chat);
    }
    // Both paths are exercised in earnest: most bodies are of the common shape, many are not.
    assertThat(noted).isGreaterThan(BODIES / 3);
    assertThat(notNoted).isGreaterThan(BODIES / 10);
  }

  @Test
  void brokenChatBodiesReadTheSameFieldsAndCountAsTheirTree() {
    Random random = new Random(5L);
    for (int n = 0; n < BODIES; n++) {
      byte[] bytes = broken(new Body(random).topLevel().getBytes(StandardCharsets.UTF_8), random);
      OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
      int expected =
          chat.bodyUnderstood()
              ? PromptTokens.count(
                  COUNTER,
                  chat.model(),
                  Operation.CHAT_COMPLETIONS,
                  Json.parseOrNull(bytes, 0, bytes.length))
              : 0;
      assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
          .as(
              "count of %s (understood %s, noted %s)",
              new String(bytes, StandardCharsets.UTF_8),
              chat.bodyUnderstood(),
              chat.promptNotedWithFields())
          .isEqualTo(expected);
      assertSameFields(bytes, chat);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // the common shape
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}",
        "{\"messages\":[],\"model\":\"gpt-4\"}",
        "{\"messages\":[{}, {\"role\":null,\"content\":3.5e2,\"name\":true}]}",
        "{\"messages\":[{\"role\":\"user\",\"name\":\"bob\",\"content\":\"\\u00e9\\n\"}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\\ude42 \\ud800 lone\"}]}",
        "{\"messages\":[{\"tool_calls\":\"a string\",\"function_call\":\"too\"}]}",
        "{\"model\":\"gpt-4o\"}",
        "{}",
        // outside it: counted as before
        "{\"messages\":[{\"role\":\"user\",\"n\\u0061me\":\"bob\"}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"b b b\"}]}",
        "{\"messages\":[],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "{\"messages\":[{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
        "{\"messages\":[{\"tool_calls\":[{\"function\":{\"name\":\"f\"}}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\","
            + "\"function\":{\"name\":\"f\"}}]}",
        "{\"functions\":[{\"name\":\"f\"}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "{\"messages\":[\"a string\",{\"role\":\"user\"}]}",
        "{\"messages\":\"not an array\"}",
        "{\"messages\":null}"
      })
  void chosenBodiesCountAsTheirTree(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
    assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
        .isEqualTo(
            PromptTokens.count(
                COUNTER,
                chat.model(),
                Operation.CHAT_COMPLETIONS,
                Json.parseOrNull(bytes, 0, bytes.length)));
    assertSameFields(bytes, chat);
  }

  @Test
  void theCommonShapeIsNotedAndTheRestIsNot() {
    assertThat(
            notedWithFields(
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"x\"},"
                    + "{\"role\":\"user\",\"name\":\"bob\",\"content\":\"y\"}],\"max_tokens\":64}"))
        .isTrue();
    assertThat(notedWithFields("{\"messages\":[{\"role\":\"user\",\"role\":\"user\"}]}")).isFalse();
    assertThat(notedWithFields("{\"messages\":[{\"c\\u006fntent\":\"x\"}]}")).isFalse();
    assertThat(notedWithFields("{\"messages\":[{\"content\":[\"x\"]}]}")).isFalse();
    assertThat(notedWithFields("{\"tools\":[],\"messages\":[]}")).isFalse();
    assertThat(notedWithFields("{\"messages\":[],\"functions\":[]}")).isFalse();
    assertThat(notedWithFields("{\"messages\":[],\"messages\":[]}")).isFalse();
    StringBuilder many = new StringBuilder("{\"messages\":[{");
    for (int k = 0; k <= ChatPromptSpans.MAX_MEMBERS; k++) {
      many.append(k > 0 ? "," : "").append("\"k").append(k).append("\":\"v\"");
    }
    assertThat(notedWithFields(many.append("}]}").toString())).isFalse();
    // Another operation's body is never noted: its prompt has other members.
    byte[] embeddings = "{\"messages\":[],\"input\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(view(Operation.EMBEDDINGS, embeddings, false).promptNotedWithFields()).isFalse();
  }

  @Test
  void aMessageWithTheMostMembersKeptApartIsNotedAndCountsItsNameOnce() {
    StringBuilder body = new StringBuilder("{\"messages\":[{\"name\":\"bob\"");
    for (int k = 1; k < ChatPromptSpans.MAX_MEMBERS; k++) {
      body.append(",\"k").append(k).append("\":\"v w\"");
    }
    byte[] bytes = body.append("}]}").toString().getBytes(StandardCharsets.UTF_8);
    OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
    assertThat(chat.promptNotedWithFields()).isTrue();
    assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
        .isEqualTo(
            PromptTokens.count(
                COUNTER,
                chat.model(),
                Operation.CHAT_COMPLETIONS,
                Json.parseOrNull(bytes, 0, bytes.length)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // names whose one-bit hashes collide: looked for among the names before, not found
        "{\"messages\":[{\"role\":\"user\", \"x\" : 12 ,\"bat\":\"b a t\"}]}",
        "{\"messages\":[{\"name\":\"bob\",\"refusal\":null,\"gau\":\"no\"}]}",
        "{\"messages\":[{\"content\":\"x\"},{\"baw\":\"y\",\"content\":\"z\"}]}"
      })
  void namesOfOneHashThatDifferAreNoRepeat(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
    assertThat(chat.promptNotedWithFields()).isTrue();
    assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
        .isEqualTo(
            PromptTokens.count(
                COUNTER,
                chat.model(),
                Operation.CHAT_COMPLETIONS,
                Json.parseOrNull(bytes, 0, bytes.length)));
  }

  private static boolean notedWithFields(String body) {
    OpenAiRequest chat =
        view(Operation.CHAT_COMPLETIONS, body.getBytes(StandardCharsets.UTF_8), false);
    assertThat(chat.bodyUnderstood()).as(body).isTrue();
    return chat.promptNotedWithFields();
  }

  /**
   * The chat view, which notes the prompt in its walk, reads every field as a view that notes none
   * (an embeddings request of the same bytes) does: the walk decides nothing else.
   */
  private static void assertSameFields(byte[] bytes, OpenAiRequest chat) {
    OpenAiRequest plain = view(Operation.EMBEDDINGS, bytes, chat.deployment() != null);
    String body = new String(bytes, StandardCharsets.UTF_8);
    assertThat(chat.bodyUnderstood()).as(body).isEqualTo(plain.bodyUnderstood());
    assertThat(chat.model()).as(body).isEqualTo(plain.model());
    assertThat(chat.stream()).as(body).isEqualTo(plain.stream());
    assertThat(chat.includeUsageRequested()).as(body).isEqualTo(plain.includeUsageRequested());
    assertThat(chat.maxOutputTokens()).as(body).isEqualTo(plain.maxOutputTokens());
    assertThat(chat.choices()).as(body).isEqualTo(plain.choices());
    assertThat(Arrays.equals(chat.rewrittenBody("other", true), plain.rewrittenBody("other", true)))
        .as(body)
        .isTrue();
  }

  private static OpenAiRequest view(Operation operation, byte[] body, boolean deployment) {
    return new OpenAiRequest(
        OpenAiFormat.of(operation),
        new CallMatch(operation, deployment ? "gpt-4" : null),
        new PostedRequest("http://localhost/v1/x", body),
        Integer.MAX_VALUE);
  }

  /** The bytes with one random change: cut short, a byte replaced, a byte inserted. */
  private static byte[] broken(byte[] bytes, Random random) {
    int at = random.nextInt(bytes.length);
    return switch (random.nextInt(3)) {
      case 0 -> Arrays.copyOf(bytes, at);
      case 1 -> {
        byte[] changed = bytes.clone();
        String replacements = "{}[]\",:\\ \u0001x9";
        changed[at] = (byte) replacements.charAt(random.nextInt(replacements.length()));
        if (random.nextInt(4) == 0) {
          changed[at] = (byte) (0x80 + random.nextInt(0x80)); // not UTF-8 here
        }
        yield changed;
      }
      default -> {
        byte[] longer = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, longer, 0, at);
        longer[at] = (byte) "{}[]\",:".charAt(random.nextInt(7));
        System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
        yield longer;
      }
    };
  }

  /** A random chat body's JSON text, mostly of the common shape, written so members can repeat. */
  private static final class Body {
    private final Random random;
    private final StringBuilder out = new StringBuilder();

    Body(Random random) {
      this.random = random;
    }

    String topLevel() {
      List<Runnable> members = new ArrayList<>();
      for (String key : TOP_KEYS) {
        if (key.equals("messages") ? random.nextInt(12) > 0 : random.nextInt(3) > 0) {
          members.add(() -> topMember(key));
        }
      }
      if (random.nextInt(20) == 0) {
        members.add(() -> topMember("messages"));
      }
      if (random.nextInt(20) == 0) {
        String key = random.nextBoolean() ? "tools" : "functions";
        members.add(
            () -> {
              name(key);
              out.append("[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]");
            });
      }
      Collections.shuffle(members, random);
      object(members);
      return out.toString();
    }

    private void topMember(String key) {
      name(key);
      switch (key) {
        case "model" -> {
          if (random.nextInt(6) == 0) {
            scalar();
          } else {
            string(random.nextBoolean() ? "gpt-4o-mini" : random.nextBoolean() ? "gpt-4" : "");
          }
        }
        case "messages" -> {
          if (random.nextInt(25) == 0) {
            any(2);
          } else {
            array(5, this::message);
          }
        }
        case "stream" -> out.append(random.nextBoolean() ? "true" : "false");
        case "stream_options" ->
            out.append(random.nextBoolean() ? "{\"include_usage\":true}" : "{}");
        case "max_tokens", "max_completion_tokens", "n" -> out.append(random.nextInt(500));
        default -> any(3);
      }
    }

    private void message() {
      if (random.nextInt(30) == 0) {
        any(1);
        return;
      }
      List<Runnable> members = new ArrayList<>();
      for (String key : MESSAGE_KEYS) {
        if (random.nextInt(4) == 0 || key.equals("content") || key.equals("role")) {
          members.add(() -> messageMember(key));
        }
      }
      if (random.nextInt(30) == 0) { // a repeated member
        String key = MESSAGE_KEYS[random.nextInt(MESSAGE_KEYS.length)];
        members.add(() -> messageMember(key));
      }
      if (random.nextInt(30) == 0) { // an escaped name, "name" or "content" once decoded
        members.add(
            () -> {
              space();
              out.append(random.nextBoolean() ? "\"n\\u0061me\"" : "\"conten\\u0074\"");
              space();
              out.append(':');
              text();
            });
      }
      if (random.nextInt(40) == 0) { // more members than are kept apart
        for (int k = 0; k < ChatPromptSpans.MAX_MEMBERS; k++) {
          String key = "x" + k;
          members.add(() -> messageMember(key));
        }
      }
      Collections.shuffle(members, random);
      object(members);
    }

    private void messageMember(String key) {
      name(key);
      int kind = random.nextInt(20);
      if (kind == 0) {
        any(2); // content parts, tool calls, anything: not the common shape
      } else if (kind < 3) {
        scalar();
      } else {
        text();
      }
    }

    private void any(int depth) {
      int kind = random.nextInt(depth > 0 ? 4 : 2);
      switch (kind) {
        case 0 -> scalar();
        case 1 -> text();
        case 2 -> array(3, () -> any(depth - 1));
        default -> {
          List<Runnable> members = new ArrayList<>();
          int count = random.nextInt(4);
          for (int k = 0; k < count; k++) {
            String key = random.nextInt(3) == 0 ? "text" : "k" + random.nextInt(4);
            members.add(
                () -> {
                  name(key);
                  any(depth - 1);
                });
          }
          object(members);
        }
      }
    }

    private void scalar() {
      String[] scalars = {
        "null", "true", "false", "0", "-1", "3.5", "1e3", "12345678901234567890123", "-0.0", "2E-2"
      };
      out.append(scalars[random.nextInt(scalars.length)]);
    }

    private void text() {
      StringBuilder text = new StringBuilder();
      int words = random.nextInt(5);
      for (int k = 0; k < words; k++) {
        text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
      }
      string(text.toString());
    }

    private void string(String text) {
      out.append('"');
      for (int k = 0; k < text.length(); k++) {
        char c = text.charAt(k);
        if (c == '"' || c == '\\') {
          out.append('\\').append(c);
        } else if (c < ' ') {
          out.append(random.nextBoolean() ? String.format("\\u%04x", (int) c) : "\\n");
        } else if (Character.isHighSurrogate(c)
            && k + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(k + 1))) {
          boolean escaped = random.nextInt(4) == 0; // a pair: both halves escaped, or neither
          for (char half : new char[] {c, text.charAt(++k)}) {
            out.append(escaped ? String.format("\\u%04X", (int) half) : String.valueOf(half));
          }
        } else if (Character.isSurrogate(c)) {
          out.append(String.format("\\u%04x", (int) c)); // a lone surrogate: only as an escape
        } else if (c > 127 && random.nextInt(4) == 0) {
          out.append(String.format("\\u%04X", (int) c));
        } else {
          out.append(c);
        }
      }
      out.append('"');
    }

    private void name(String name) {
      space();
      string(name);
      space();
      out.append(':');
      space();
    }

    private void object(List<Runnable> members) {
      out.append('{');
      for (int k = 0; k < members.size(); k++) {
        if (k > 0) {
          out.append(',');
        }
        members.get(k).run();
      }
      space();
      out.append('}');
    }

    private void array(int most, Runnable element) {
      out.append('[');
      int count = random.nextInt(most + 1);
      for (int k = 0; k < count; k++) {
        if (k > 0) {
          out.append(',');
        }
        space();
        element.run();
      }
      space();
      out.append(']');
    }

    private void space() {
      if (random.nextInt(5) == 0) {
        out.append(" \n\t\r".charAt(random.nextInt(4)));
      }
    }
  }
}
