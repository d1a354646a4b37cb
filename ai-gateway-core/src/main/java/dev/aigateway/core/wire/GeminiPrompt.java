package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenCounts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * An estimate of a Gemini prompt's tokens, erring high. Gemini's tokenizer is not public (a
 * SentencePiece model of about 256k pieces), so text is counted with the counter's encoding for the
 * model (o200k_base unless configured) and scaled by {@link #TEXT_MARGIN}; each content (turn) and
 * the system instruction add {@link #TURN_TOKENS}. Calibration and sources: {@code
 * docs/providers.md}. Inline data whose {@code mimeType} is {@code text/...} is text (Gemini reads
 * it so): its base64 data decoded is counted as text. What is not text: any other inline or file
 * part (image, audio, video, document) counts {@link #MEDIA_PART_TOKENS}, what Gemini charges for
 * an image up to 384 px (audio and video cost more, per second, and are under-estimated until usage
 * arrives); function calls, function responses, code execution parts (the code and its result),
 * tool declarations and the generation config's response schemas count their compact JSON, scaled
 * as text.
 *
 * <p>The estimate is made on the body's tree ({@link #estimate}) or, when no stage built one, off
 * the bytes in one pass of Jackson's streaming parser ({@link #streamed}), which gives the same
 * count: it reads the text values as the tree holds them, the few structured values counted as JSON
 * (function calls and responses, tools) as small trees, and leaves to the tree any body where a
 * member it reads appears twice.
 */
final class GeminiPrompt {

  /**
   * Gemini text tokens per o200k_base token, rounded up with room: see {@code docs/providers.md}.
   */
  static final double TEXT_MARGIN = 1.2;

  /** Per content (turn) and per system instruction: role and turn markers. */
  static final int TURN_TOKENS = 2;

  /** An image, audio, video or document part. */
  static final int MEDIA_PART_TOKENS = 258;

  private GeminiPrompt() {}

  /** The estimate for a parsed request body. */
  static long estimate(TokenCounter counter, String model, ObjectNode body) {
    long tokens = 0;
    long text = 0;
    JsonNode system = body.get("systemInstruction");
    if (system == null) {
      system = body.get("system_instruction");
    }
    if (system != null && system.isObject()) {
      tokens += TURN_TOKENS;
      text += partsText(counter, model, system.get("parts"));
    }
    JsonNode contents = body.get("contents");
    if (contents != null && contents.isArray()) {
      for (JsonNode content : contents) {
        tokens += TURN_TOKENS;
        if (content.isObject()) {
          JsonNode parts = content.get("parts");
          text += partsText(counter, model, parts);
          tokens = TokenCounts.sum(tokens, mediaParts(parts));
        }
      }
    }
    JsonNode tools = body.get("tools");
    if (tools != null && tools.isArray() && !tools.isEmpty()) {
      text += counter.countText(model, tools.toString());
    }
    JsonNode config = body.get("generationConfig");
    text +=
        responseSchemas(counter, model, config != null ? config : body.get("generation_config"));
    return TokenCounts.sum(tokens, (long) Math.ceil(text * TEXT_MARGIN));
  }

  /**
   * The counted text of a generation config's response schemas ({@code responseSchema} and {@code
   * responseJsonSchema}, or their snake-case names when the camel-case one is absent): each one's
   * compact JSON, as Gemini counts a structured output's schema towards the prompt.
   */
  private static long responseSchemas(
      TokenCounter counter, String model, @Nullable JsonNode config) {
    if (config == null || !config.isObject()) {
      return 0;
    }
    long count = 0;
    for (String[] names :
        new String[][] {
          {"responseSchema", "response_schema"}, {"responseJsonSchema", "response_json_schema"}
        }) {
      JsonNode schema = config.get(names[0]);
      if (schema == null) {
        schema = config.get(names[1]);
      }
      if (schema != null && (schema.isObject() || schema.isArray())) {
        count += counter.countText(model, schema.toString());
      }
    }
    return count;
  }

  /**
   * The part members counted as compact JSON, each under its camel-case and snake-case name (Gemini
   * reads either, by the proto3 JSON mapping; its REST examples write the snake-case one): function
   * calls and responses, and the code the code execution tool ran and its result, which a
   * conversation sends back as history.
   */
  private static final String[][] STRUCTURED_PARTS = {
    {"functionCall", "function_call"},
    {"functionResponse", "function_response"},
    {"executableCode", "executable_code"},
    {"codeExecutionResult", "code_execution_result"}
  };

  /** The bit of a part member's name in {@link #parts}' seen members; 0 for one not read. */
  private static int partBit(String name) {
    switch (name) {
      case "text":
        return 1;
      case "inlineData":
        return 2;
      case "inline_data":
        return 4;
      default:
        for (int k = 0; k < STRUCTURED_PARTS.length; k++) {
          for (int c = 0; c < 2; c++) {
            if (STRUCTURED_PARTS[k][c].equals(name)) {
              return 1 << (3 + 2 * k + c);
            }
          }
        }
        return 0;
    }
  }

  /**
   * The counted text of a {@code parts} array: text, function calls and responses, code execution
   * parts.
   */
  private static long partsText(TokenCounter counter, String model, JsonNode parts) {
    if (parts == null || !parts.isArray()) {
      return 0;
    }
    long count = 0;
    for (JsonNode part : parts) {
      JsonNode text = part.get("text");
      if (text != null && text.isTextual()) {
        count += counter.countText(model, text.textValue());
      }
      String inline = inlineText(inline(part));
      if (inline != null) {
        count += counter.countText(model, inline);
      }
      for (String[] names : STRUCTURED_PARTS) {
        // the camel-case member, else the snake-case one, as for inline data
        JsonNode value = part.has(names[0]) ? part.get(names[0]) : part.get(names[1]);
        if (value != null && value.isObject()) {
          count += counter.countText(model, value.toString());
        }
      }
    }
    return count;
  }

  /**
   * The same estimate as {@link #estimate} of the body {@code bytes}, read with the streaming
   * parser instead of a tree; -1 when the body is not read this way (not one JSON object, or a
   * member the estimate reads appears twice in one object), which the tree then decides.
   */
  static long streamed(TokenCounter counter, String model, byte[] bytes) {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return -1;
      }
      // the system instruction under either name: ABSENT, NOT_OBJECT, else its text count
      long camel = ABSENT;
      long snake = ABSENT;
      long tokens = 0;
      long text = 0;
      boolean contentsSeen = false;
      boolean toolsSeen = false;
      // the generation config under either name, as a tree (small): MISSING when absent
      JsonNode camelConfig = MISSING;
      JsonNode snakeConfig = MISSING;
      JsonToken token;
      while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "systemInstruction", "system_instruction" -> {
            boolean isCamel = name.equals("systemInstruction");
            if ((isCamel ? camel : snake) != ABSENT) {
              return -1;
            }
            long counted = NOT_OBJECT;
            if (value == JsonToken.START_OBJECT) {
              counted = system(counter, model, p);
            } else {
              p.skipChildren();
            }
            if (isCamel) {
              camel = counted;
            } else {
              snake = counted;
            }
          }
          case "contents" -> {
            if (contentsSeen) {
              return -1;
            }
            contentsSeen = true;
            if (value != JsonToken.START_ARRAY) {
              p.skipChildren();
              continue;
            }
            while ((value = p.nextToken()) != JsonToken.END_ARRAY) {
              tokens += TURN_TOKENS;
              if (value != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
              }
              long[] counted = content(counter, model, p);
              if (counted == null) {
                return -1;
              }
              text += counted[0];
              tokens = TokenCounts.sum(tokens, counted[1]);
            }
          }
          case "tools" -> {
            if (toolsSeen) {
              return -1;
            }
            toolsSeen = true;
            if (value != JsonToken.START_ARRAY) {
              p.skipChildren();
              continue;
            }
            JsonNode tools = Json.MAPPER.readTree(p);
            if (!tools.isEmpty()) {
              text += counter.countText(model, tools.toString());
            }
          }
          case "generationConfig", "generation_config" -> {
            boolean isCamel = name.equals("generationConfig");
            if ((isCamel ? camelConfig : snakeConfig) != MISSING) {
              return -1;
            }
            JsonNode config = value == JsonToken.START_OBJECT ? Json.MAPPER.readTree(p) : null;
            if (config == null) {
              p.skipChildren();
              config = NOT_CONFIG;
            }
            if (isCamel) {
              camelConfig = config;
            } else {
              snakeConfig = config;
            }
          }
          default -> p.skipChildren();
        }
      }
      if (token != JsonToken.END_OBJECT) {
        return -1;
      }
      long system = camel != ABSENT ? camel : snake;
      if (system >= 0) {
        tokens += TURN_TOKENS;
        text += system;
      }
      text += responseSchemas(counter, model, camelConfig != MISSING ? camelConfig : snakeConfig);
      return TokenCounts.sum(tokens, (long) Math.ceil(text * TEXT_MARGIN));
    } catch (Unusual | IOException | RuntimeException e) {
      return -1;
    }
  }

  /** A generation config member not present ({@link #streamed}). */
  private static final JsonNode MISSING =
      com.fasterxml.jackson.databind.node.MissingNode.getInstance();

  /** A generation config member present but not an object: no schema ({@link #streamed}). */
  private static final JsonNode NOT_CONFIG =
      com.fasterxml.jackson.databind.node.NullNode.getInstance();

  /** A system instruction member not present ({@link #streamed}). */
  private static final long ABSENT = -1;

  /** A system instruction member present but not an object: not counted ({@link #streamed}). */
  private static final long NOT_OBJECT = -2;

  /** A system instruction object, read to its end: the text of its parts (0 or more). */
  private static long system(TokenCounter counter, String model, JsonParser p)
      throws IOException, Unusual {
    long text = 0;
    boolean partsSeen = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("parts")) {
        if (partsSeen) {
          throw Unusual.INSTANCE;
        }
        partsSeen = true;
        text = parts(counter, model, p, value, null);
      } else {
        p.skipChildren();
      }
    }
    return text;
  }

  /** A content object, read to its end: its parts' text and media tokens; null when unusual. */
  private static long @org.jspecify.annotations.Nullable [] content(
      TokenCounter counter, String model, JsonParser p) throws IOException, Unusual {
    long[] counted = new long[2];
    boolean partsSeen = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("parts")) {
        if (partsSeen) {
          return null;
        }
        partsSeen = true;
        counted[0] = parts(counter, model, p, value, counted);
      } else {
        p.skipChildren();
      }
    }
    return counted;
  }

  /**
   * A {@code parts} value whose first token is {@code value}, read to its end: the counted text;
   * the media parts' tokens are added to {@code media[1]} when it is given (contents, not the
   * system instruction).
   */
  private static long parts(
      TokenCounter counter,
      String model,
      JsonParser p,
      JsonToken value,
      long @org.jspecify.annotations.Nullable [] media)
      throws IOException, Unusual {
    if (value != JsonToken.START_ARRAY) {
      p.skipChildren();
      return 0;
    }
    long count = 0;
    JsonToken part;
    while ((part = p.nextToken()) != JsonToken.END_ARRAY) {
      if (part != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      // bits: 1 text, 2 inlineData, 4 inline_data, then each structured member's camel-case and
      // snake-case names (partBit)
      int seen = 0;
      // the compact JSON's count of each structured member name, by its index in the bits
      long[] structured = new long[2 * STRUCTURED_PARTS.length];
      boolean isMedia = false;
      JsonNode inlineCamel = null;
      JsonNode inlineSnake = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken member = p.nextToken();
        int bit = partBit(name);
        if (bit == 0) {
          isMedia |= name.equals("fileData") || name.equals("file_data");
          p.skipChildren();
          continue;
        }
        if ((seen & bit) != 0) {
          throw Unusual.INSTANCE;
        }
        seen |= bit;
        if (bit == 2 || bit == 4) {
          JsonNode inline = Json.MAPPER.readTree(p);
          if (bit == 2) {
            inlineCamel = inline;
          } else {
            inlineSnake = inline;
          }
        } else if (bit == 1 && member == JsonToken.VALUE_STRING) {
          count += counter.countText(model, p.getText());
        } else if (bit != 1 && member == JsonToken.START_OBJECT) {
          structured[Integer.numberOfTrailingZeros(bit) - 3] =
              counter.countText(model, Json.MAPPER.readTree(p).toString());
        } else {
          p.skipChildren();
        }
      }
      // the camel-case member when present (whatever its value), else the snake-case one
      for (int k = 0; k < STRUCTURED_PARTS.length; k++) {
        count += (seen & (1 << (3 + 2 * k))) != 0 ? structured[2 * k] : structured[2 * k + 1];
      }
      if ((seen & 6) != 0) {
        String inline = inlineText((seen & 2) != 0 ? inlineCamel : inlineSnake);
        if (inline != null) {
          count += counter.countText(model, inline);
        } else {
          isMedia = true;
        }
      }
      if (isMedia && media != null) {
        media[1] += MEDIA_PART_TOKENS;
      }
    }
    return count;
  }

  /** A part's inline data, as the tree reads it: {@code inlineData}, else {@code inline_data}. */
  private static @Nullable JsonNode inline(JsonNode part) {
    return part.has("inlineData") ? part.get("inlineData") : part.get("inline_data");
  }

  /**
   * The text of inline data whose {@code mimeType} (or {@code mime_type}) is {@code text/...}: its
   * base64 {@code data} decoded as UTF-8; null for any other inline data (an image, audio, a PDF),
   * or data that is not base64.
   */
  static @Nullable String inlineText(@Nullable JsonNode inline) {
    if (inline == null || !inline.isObject()) {
      return null;
    }
    JsonNode type = inline.has("mimeType") ? inline.get("mimeType") : inline.get("mime_type");
    JsonNode data = inline.get("data");
    if (type == null
        || !type.isTextual()
        || !type.textValue().startsWith("text/")
        || data == null
        || !data.isTextual()) {
      return null;
    }
    try {
      return new String(Base64.getMimeDecoder().decode(data.textValue()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null; // not base64: Gemini refuses it; counted as media
    }
  }

  /** A body the streaming estimate leaves to the tree (thrown without a stack trace). */
  private static final class Unusual extends Exception {
    private static final long serialVersionUID = 1L;
    static final Unusual INSTANCE = new Unusual();

    private Unusual() {
      super("left to the tree", null, false, false);
    }
  }

  private static long mediaParts(JsonNode parts) {
    if (parts == null || !parts.isArray()) {
      return 0;
    }
    long count = 0;
    for (JsonNode part : parts) {
      boolean inline = part.has("inlineData") || part.has("inline_data");
      if (part.has("fileData")
          || part.has("file_data")
          || (inline && inlineText(inline(part)) == null)) {
        count += MEDIA_PART_TOKENS;
      }
    }
    return count;
  }
}
