package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
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
@Tag("compute-bound")
class ChatPromptSpansTest {

  private static final int BODIES = 3_000;

  private static final TokenCounter COUNTER = TokenCounter.builder().imageTokens(7_919).build();

  /** The shared words, a lone surrogate and a system prompt's line. */
  private static final String[] WORDS =
      RandomJsonText.words("name", "\ud800", "You are a terse assistant.");

  private static final String[] MESSAGE_KEYS =
      RandomJsonText.messageKeys("names", "nam", "Name", "日本");

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
    "max_completion_tokens",
    "response_format"
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
      int expected = chat.bodyUnderstood() ? treeCount(chat, bytes) : 0;
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
      byte[] bytes =
          RandomJsonText.broken(
              new Body(random).topLevel().getBytes(StandardCharsets.UTF_8), random);
      OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
      int expected = chat.bodyUnderstood() ? treeCount(chat, bytes) : 0;
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
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":"
            + "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"schema\":{}}}}",
        "{\"response_format\":{\"type\":\"json\\u005fschema\",\"json\\u005fschema\":"
            + "{\"name\":\"a\"}},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":"
            + "{\"type\":\"json_object\"}}",
        "{\"messages\":null}"
      })
  void chosenBodiesCountAsTheirTree(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
    assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
        .isEqualTo(treeCount(chat, bytes));
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
    assertThat(notedWithFields("{\"messages\":[],\"response_format\":{\"type\":\"text\"}}"))
        .isTrue();
    assertThat(
            notedWithFields(
                "{\"messages\":[],\"response_format\":{\"type\":\"json_schema\","
                    + "\"json_schema\":{\"name\":\"a\"}}}"))
        .isFalse();
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
    assertNotedAndCountedAsTheTree(body.append("}]}").toString());
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
    assertNotedAndCountedAsTheTree(body);
  }

  private static void assertNotedAndCountedAsTheTree(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OpenAiRequest chat = view(Operation.CHAT_COMPLETIONS, bytes, false);
    assertThat(chat.promptNotedWithFields()).as(body).isTrue();
    assertThat(chat.promptTokens(COUNTER, Operation.CHAT_COMPLETIONS))
        .as(body)
        .isEqualTo(treeCount(chat, bytes));
  }

  /** What {@link PromptTokens} counts on the tree of {@code bytes}, the request view's body. */
  private static int treeCount(OpenAiRequest chat, byte[] bytes) {
    return PromptTokens.count(
        COUNTER,
        chat.model(),
        Operation.CHAT_COMPLETIONS,
        Json.parseOrNull(bytes, 0, bytes.length));
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
    return PromptTokensStreamingTest.view(operation, body, deployment ? "gpt-4" : null);
  }

  /** A random chat body's JSON text, mostly of the common shape, written so members can repeat. */
  private static final class Body extends RandomJsonText {

    Body(Random random) {
      super(random, WORDS);
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
      return document(members);
    }

    private void topMember(String key) {
      name(key);
      switch (key) {
        case "model" -> model(6, "gpt-4o-mini", "gpt-4", "");
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
        case "response_format" -> {
          switch (random.nextInt(6)) {
            case 0 -> {
              out.append("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"schema\":");
              any(2);
              out.append("}}");
            }
            case 1 -> any(2);
            default -> out.append("{\"type\":\"json_object\"}");
          }
        }
        default -> any(3);
      }
    }

    private void message() {
      if (random.nextInt(30) == 0) {
        any(1);
        return;
      }
      List<Runnable> members =
          someMembers(
              MESSAGE_KEYS,
              4,
              key -> key.equals("content") || key.equals("role"),
              30,
              this::messageMember);
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
  }
}
