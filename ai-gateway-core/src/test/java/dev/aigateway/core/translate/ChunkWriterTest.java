package dev.aigateway.core.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The chunks written straight to bytes are, byte for byte, what writing each chunk as a Jackson
 * tree gives: the same members in the same order, strings escaped the same way.
 */
class ChunkWriterTest {

  private static final String[] PIECES = {
    "Hello",
    " ",
    "\"",
    "\\",
    "\n",
    "\t",
    "\u0000",
    "\u001f",
    "\u007f",
    "é",
    "日本",
    "😀",
    "</script>",
    "\u2028",
    "{\"a\":1}",
    "/",
    "'",
    ""
  };

  @Test
  void everyChunkIsWhatItsTreeWritesTo() {
    for (int seed = 0; seed < 500; seed++) {
      Random random = new Random(seed);
      String id = text(random);
      String model = text(random);
      boolean includeUsage = random.nextBoolean();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ChunkWriter chunks = new ChunkWriter(out, 1_780_000_000L + seed, includeUsage, id, model);
      StringBuilder expected = new StringBuilder();
      Trees trees = new Trees(id, model, 1_780_000_000L + seed);

      chunks.start();
      expected.append(trees.chunk(delta().put("role", "assistant").put("content", ""), null));
      int calls = 0;
      for (int i = random.nextInt(12); i >= 0; i--) {
        String value = text(random);
        switch (random.nextInt(3)) {
          case 0 -> {
            chunks.text(value);
            if (!value.isEmpty()) {
              expected.append(trees.chunk(delta().put("content", value), null));
            }
          }
          case 1 -> {
            String name = text(random);
            int index = chunks.toolCall(value, name, "{\"q\":\"" + value.length() + "\"}");
            assertThat(index).isEqualTo(calls++);
            ObjectNode delta = delta();
            ObjectNode call = delta.putArray("tool_calls").addObject();
            call.put("index", index).put("id", value).put("type", "function");
            call.putObject("function")
                .put("name", name)
                .put("arguments", "{\"q\":\"" + value.length() + "\"}");
            expected.append(trees.chunk(delta, null));
          }
          default -> {
            if (calls > 0) {
              chunks.toolArguments(calls - 1, value);
              if (!value.isEmpty()) {
                ObjectNode delta = delta();
                delta
                    .putArray("tool_calls")
                    .addObject()
                    .put("index", calls - 1)
                    .putObject("function")
                    .put("arguments", value);
                expected.append(trees.chunk(delta, null));
              }
            }
          }
        }
      }
      String reason = random.nextBoolean() ? "stop" : "tool_calls";
      chunks.finish(reason);
      expected.append(trees.chunk(delta(), reason));
      long cacheWrite = random.nextBoolean() ? 0 : 7;
      ChatUsage usage = ChatUsage.of(120, 30, 0, 20, 5, cacheWrite);
      chunks.usage(usage);
      chunks.done();
      if (includeUsage) {
        ObjectNode doc = trees.head();
        doc.putArray("choices");
        ObjectNode u = doc.putObject("usage");
        u.put("prompt_tokens", 120).put("completion_tokens", 30).put("total_tokens", 150);
        ObjectNode details = u.putObject("prompt_tokens_details").put("cached_tokens", 20);
        if (cacheWrite > 0) {
          details.put("cache_write_tokens", cacheWrite);
        }
        u.putObject("completion_tokens_details").put("reasoning_tokens", 5);
        expected
            .append("data: ")
            .append(new String(ChatAnswer.bytes(doc), StandardCharsets.UTF_8))
            .append("\n\n");
      }
      expected.append("data: [DONE]\n\n");

      assertThat(out.toString(StandardCharsets.UTF_8))
          .as("seed " + seed)
          .isEqualTo(expected.toString());
    }
  }

  @Test
  void theAnswersIdAndModelAreFixedByItsFirstChunk() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChunkWriter chunks = new ChunkWriter(out, 1L, false, "chatcmpl-1", "target");

    chunks.identify("msg_1", "claude");
    chunks.start();
    chunks.identify("msg_2", "other");
    chunks.text("x");

    String written = out.toString(StandardCharsets.UTF_8);
    assertThat(written).doesNotContain("msg_2").doesNotContain("other").doesNotContain("chatcmpl");
    assertThat(written.split("\"id\":\"msg_1\",\"object\":\"chat.completion.chunk\"", -1))
        .hasSize(3);
  }

  private static ObjectNode delta() {
    return Json.MAPPER.createObjectNode();
  }

  private static String text(Random random) {
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(4); i > 0; i--) {
      s.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return s.toString();
  }

  /** Chunks as Jackson trees, as the writer once built them. */
  private record Trees(String id, String model, long created) {
    ObjectNode head() {
      ObjectNode doc = Json.MAPPER.createObjectNode();
      doc.put("id", id);
      doc.put("object", "chat.completion.chunk");
      doc.put("created", created);
      doc.put("model", model);
      return doc;
    }

    String chunk(ObjectNode delta, @Nullable String finishReason) {
      ObjectNode doc = head();
      ArrayNode choices = doc.putArray("choices");
      ObjectNode choice = choices.addObject();
      choice.put("index", 0);
      choice.set("delta", delta);
      choice.putNull("logprobs");
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
      return "data: " + new String(ChatAnswer.bytes(doc), StandardCharsets.UTF_8) + "\n\n";
    }
  }
}
