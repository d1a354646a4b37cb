package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random chat completion streams as OpenAI and look-alikes send them (with and without {@code
 * include_usage}, obfuscation pads, Azure's filter chunk, tool calls, reasoning, legacy
 * completions, unicode raw and escaped), now and then with what no well-behaved backend sends: odd
 * usage members, models that change, whitespace, broken JSON, non-JSON data, comments, several data
 * lines, stray blank lines, no {@code [DONE]}; lines end in LF, CRLF or CR.
 */
final class RandomChatStream {

  private static final String[] MODELS = {
    "gpt-4o-mini-2024-07-18", "gpt-4.1", "o3", "modèle-ü 🌍", "gpt\\/4o", "mistral\\u002dlarge"
  };
  private static final String[] PIECES = {
    "Hello",
    " world",
    ",",
    " the",
    " gateway",
    "é",
    "ü",
    "🌍",
    "中文",
    "€",
    " ",
    "  ",
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\t",
    "\\u00e9",
    "\\ud83c\\udf0d",
    "\\ud800",
    "\\u0000",
    "usage",
    "\\\"usage\\\":null",
    "}",
    "]",
    "{",
    "data: x",
    "null",
    "12",
    "\\u0075sage",
    "content_filter"
  };

  /** The usage members the gateway reads. */
  private static final String[] USAGE_NAMES = {
    "prompt_tokens",
    "input_tokens",
    "completion_tokens",
    "output_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "input_tokens_details",
    "completion_tokens_details",
    "output_tokens_details"
  };

  /** Bytes that break JSON, or nearly. */
  private static final byte[] NASTY = {
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    ' ',
    '\n',
    '\r',
    0,
    0x1f,
    (byte) 0x80,
    (byte) 0xc0,
    (byte) 0xe0,
    (byte) 0xed,
    (byte) 0xf0,
    (byte) 0xf5,
    (byte) 0xff,
    'n',
    'u',
    't',
    '0',
    '-',
    '.',
    'e',
    'E',
    '+',
    'x'
  };

  private final SplittableRandom random;
  private final boolean includeUsage;
  private final boolean obfuscation;
  private final boolean pretty;

  /**
   * Whether the stream's text chunks name a finish reason as a string (an empty one, {@code
   * length}, now and then {@code content_filter}) rather than null.
   */
  private final boolean textFinishes;

  private String model;

  RandomChatStream(long seed) {
    random = new SplittableRandom(seed);
    includeUsage = random.nextBoolean();
    obfuscation = random.nextInt(4) == 0;
    pretty = random.nextInt(10) == 0;
    textFinishes = random.nextInt(4) == 0;
    model = MODELS[random.nextInt(MODELS.length)];
  }

  /** The chunks of one stream, as JSON, before any breakage. */
  List<String> chunks() {
    List<String> chunks = new ArrayList<>();
    if (random.nextInt(6) == 0) {
      chunks.add(
          "{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
              + "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}");
    }
    chunks.add(
        chunk(
            "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
                + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]"));
    int kind = random.nextInt(4);
    int count = random.nextInt(40);
    for (int i = 0; i < count; i++) {
      if (random.nextInt(30) == 0) {
        model = random.nextBoolean() ? MODELS[random.nextInt(MODELS.length)] : null;
      }
      chunks.add(
          chunk(
              switch (random.nextInt(8) == 0 ? random.nextInt(4) : kind) {
                case 0 ->
                    "[{\"index\":0,\"delta\":{\"content\":\""
                        + text()
                        + "\"},\"logprobs\":null,"
                        + textFinish()
                        + "}]";
                case 1 -> "[{\"index\":0,\"delta\":{\"reasoning_content\":\"" + text() + "\"}}]";
                case 2 ->
                    i == 0
                        ? "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                            + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                            + "\"arguments\":\"\"}}]}}]"
                        : "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                            + "{\"arguments\":\""
                            + text()
                            + "\"}}]}}]";
                default ->
                    "[{\"text\":\""
                        + text()
                        + "\",\"index\":0,\"logprobs\":null,"
                        + textFinish()
                        + "}]";
              }));
    }
    chunks.add(
        chunk(
            "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\""
                + (random.nextInt(6) == 0 ? "content_filter" : "stop")
                + "\"}]"));
    if (includeUsage) {
      String usage =
          random.nextInt(4) == 0
              ? usage()
              : "{\"prompt_tokens\":"
                  + random.nextInt(1000)
                  + ",\"completion_tokens\":"
                  + count
                  + ",\"total_tokens\":"
                  + (1000 + count)
                  + ",\"prompt_tokens_details\":{\"cached_tokens\":"
                  + random.nextInt(9)
                  + "},\"completion_tokens_details\":{\"reasoning_tokens\":"
                  + random.nextInt(9)
                  + "}}";
      chunks.add(
          switch (random.nextInt(12)) {
            case 0 ->
                head()
                    + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                    + text()
                    + "\"}}],\"usage\":"
                    + usage
                    + "}"; // usage and text in one chunk
            case 1 -> head() + "\"choices\":[],\"usage\":{}}"; // usage without counts
            case 2 -> head() + "\"choices\":[],\"us\\u0061ge\":" + usage + "}"; // escaped name
            case 3 -> head() + "\"usage\":" + usage + ",\"choices\":[]}";
            default -> head() + "\"choices\":[],\"usage\":" + usage + tail(false);
          });
    }
    return chunks;
  }

  /**
   * A usage object of any shape: the counts the gateway reads and others, in any order, repeated or
   * not, written as integers most of the time but also as negative, fractional, huge or
   * non-numbers, names now and then escaped, details that are objects or not.
   */
  String usage() {
    if (random.nextInt(4) == 0) {
      return openAiUsage();
    }
    String space = random.nextInt(5) == 0 ? " " : "";
    StringBuilder usage = new StringBuilder("{").append(space);
    for (int i = random.nextInt(9); i >= 0; i--) {
      int pick = random.nextInt(USAGE_NAMES.length + 2);
      String name = pick < USAGE_NAMES.length ? USAGE_NAMES[pick] : "audio_tokens";
      if (random.nextInt(25) == 0) {
        name = name.replace("_", "\\u005f");
      }
      usage.append('"').append(name).append('"').append(space).append(':').append(space);
      if (name.endsWith("_details") && random.nextInt(5) != 0) {
        usage.append('{').append(space);
        for (int j = random.nextInt(3); j >= 0; j--) {
          String inner =
              switch (random.nextInt(6)) {
                case 0, 1, 2 -> "cached_tokens";
                case 3 -> "cache_write_tokens";
                case 4 -> "reasoning_tokens";
                default -> "audio_tokens";
              };
          usage.append('"').append(inner).append("\":").append(count()).append(j > 0 ? "," : "");
        }
        usage.append(space).append('}');
      } else {
        usage.append(count());
      }
      usage.append(i > 0 ? "," + space : space);
    }
    return usage.append('}').toString();
  }

  /** A usage object laid out as OpenAI's chat completions write it, with other counts. */
  private String openAiUsage() {
    String audio = random.nextInt(4) == 0 ? count() : "0";
    return "{\"prompt_tokens\":"
        + openAiCount()
        + ",\"completion_tokens\":"
        + openAiCount()
        + ",\"total_tokens\":"
        + openAiCount()
        + ",\"prompt_tokens_details\":{\"cached_tokens\":"
        + openAiCount()
        + ",\"audio_tokens\":"
        + audio
        + "},\"completion_tokens_details\":{\"reasoning_tokens\":"
        + openAiCount()
        + ",\"audio_tokens\":0,\"accepted_prediction_tokens\":"
        + openAiCount()
        + ",\"rejected_prediction_tokens\":"
        + openAiCount()
        + "}}";
  }

  /** Mostly a plain count; now and then any of {@link #count()}'s forms. */
  private String openAiCount() {
    return random.nextInt(8) == 0 ? count() : Integer.toString(random.nextInt(100_000));
  }

  private String count() {
    return switch (random.nextInt(16)) {
      case 0 -> "-" + random.nextInt(100);
      case 1 -> random.nextInt(100) + ".0";
      case 2 -> random.nextInt(100) + "e2";
      case 3 -> "123456789012345678"; // 18 digits, a long
      case 4 -> "12345678901234567890"; // past a long
      case 5 -> "\"" + random.nextInt(100) + "\"";
      case 6 -> "null";
      case 7 -> "true";
      case 8 -> "[" + random.nextInt(9) + "]";
      case 9 -> "{\"cached_tokens\":" + random.nextInt(9) + "}";
      case 10 -> "0";
      default -> String.valueOf(random.nextInt(5000));
    };
  }

  /**
   * A whole stream: the chunks (some broken) as events, with comments, other fields and blank
   * lines, {@code [DONE]} most of the time.
   */
  byte[] stream() {
    String le =
        switch (random.nextInt(8)) {
          case 0, 1 -> "\r\n";
          case 2 -> "\r";
          default -> "\n";
        };
    String data = random.nextInt(5) == 0 ? "data:" : "data: ";
    StringBuilder text = new StringBuilder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (random.nextInt(3) == 0) {
      text.append(": OPENROUTER PROCESSING").append(le).append(le);
    }
    for (String chunk : chunks()) {
      int odd = random.nextInt(40);
      if (odd == 0) {
        text.append("event: chunk").append(le).append("id: 7").append(le);
      } else if (odd == 1) {
        text.append(": ping").append(le).append(le);
      } else if (odd == 2) {
        text.append(le); // a stray blank line
      } else if (odd == 3) {
        text.append(data).append("hello").append(le).append(le);
      }
      if (random.nextInt(50) == 0) {
        int cut = random.nextInt(chunk.length() + 1);
        text.append(data)
            .append(chunk, 0, cut)
            .append(le)
            .append(data)
            .append(chunk, cut, chunk.length());
      } else if (random.nextInt(12) == 0) {
        write(out, text);
        out.writeBytes(data.getBytes(UTF_8));
        out.writeBytes(broken(chunk.getBytes(UTF_8)));
      } else {
        text.append(data).append(chunk);
      }
      text.append(le).append(le);
    }
    if (random.nextInt(8) != 0) {
      text.append(data).append("[DONE]").append(le);
      if (random.nextInt(8) != 0) {
        text.append(le);
      }
    }
    write(out, text);
    return out.toByteArray();
  }

  /** The chunk, broken most of the time: cut, a byte changed, added or dropped, or more. */
  byte[] broken(byte[] chunk) {
    byte[] bytes = chunk.clone();
    int at = random.nextInt(bytes.length + 1);
    return switch (random.nextInt(7)) {
      case 0 -> Arrays.copyOf(bytes, at);
      case 1 -> {
        if (at < bytes.length) {
          bytes[at] = NASTY[random.nextInt(NASTY.length)];
        }
        yield bytes;
      }
      case 2 -> join(bytes, 0, at, new byte[] {NASTY[random.nextInt(NASTY.length)]}, bytes, at);
      case 3 -> at < bytes.length ? join(bytes, 0, at, new byte[0], bytes, at + 1) : bytes;
      case 4 -> join(bytes, 0, bytes.length, " x}".getBytes(UTF_8), bytes, bytes.length);
      case 5 -> join(bytes, 0, at, bytes, bytes, at); // a stutter
      default -> {
        for (int i = random.nextInt(4); i >= 0; i--) {
          bytes[random.nextInt(bytes.length)] = NASTY[random.nextInt(NASTY.length)];
        }
        yield bytes;
      }
    };
  }

  private String chunk(String choices) {
    return head() + "\"choices\":" + choices + tail(includeUsage);
  }

  private String head() {
    String colon = pretty ? ": " : ":";
    String comma = pretty ? ", " : ",";
    StringBuilder head = new StringBuilder("{");
    if (random.nextInt(40) == 0) {
      head.append("\"usage\"").append(colon).append("null").append(comma); // first, and null
    }
    head.append("\"id\"")
        .append(colon)
        .append("\"chatcmpl-abc123\"")
        .append(comma)
        .append("\"object\"")
        .append(colon)
        .append("\"chat.completion.chunk\"")
        .append(comma)
        .append("\"created\"")
        .append(colon)
        .append("1767225600")
        .append(comma);
    if (model != null) {
      head.append("\"model\"")
          .append(colon)
          .append(random.nextInt(60) == 0 ? "42" : "\"" + model + "\"")
          .append(comma);
    }
    if (random.nextInt(60) == 0) {
      head.append("\"meta\"")
          .append(colon)
          .append("{\"usage\":null,\"model\":\"nested\"}")
          .append(comma);
    }
    return head.append("\"system_fingerprint\"")
        .append(colon)
        .append("\"fp_1\"")
        .append(comma)
        .toString();
  }

  private String tail(boolean nullUsage) {
    StringBuilder tail = new StringBuilder();
    if (nullUsage) {
      tail.append(
          switch (random.nextInt(40)) {
            case 0 -> " , \"usage\" :  null ";
            case 1 -> ",\"usage\":null,\"usage\":null";
            case 2 -> ",\"us\\u0061ge\":null";
            default -> ",\"usage\":null";
          });
    }
    if (obfuscation) {
      tail.append(",\"obfuscation\":\"").append("aZ0".repeat(random.nextInt(6))).append('"');
    }
    return tail.append('}').toString();
  }

  /** A text chunk's finish reason member (see {@link #textFinishes}). */
  private String textFinish() {
    if (!textFinishes) {
      return "\"finish_reason\":null";
    }
    int pick = random.nextInt(12);
    return "\"finish_reason\":\""
        + (pick == 0 ? "content_filter" : pick < 4 ? "length" : "")
        + "\"";
  }

  private String text() {
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(5); i >= 0; i--) {
      text.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return text.toString();
  }

  private static byte[] join(byte[] a, int aFrom, int aTo, byte[] b, byte[] c, int cFrom) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(a, aFrom, aTo - aFrom);
    out.writeBytes(b);
    out.write(c, cFrom, c.length - cFrom);
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, StringBuilder text) {
    out.writeBytes(text.toString().getBytes(UTF_8));
    text.setLength(0);
  }
}
