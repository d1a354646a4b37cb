package dev.aigateway.core.translate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.aigateway.core.pipeline.AnswerTranslation;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.wire.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What the translation tests share: translators on a fixed clock, backends, and body readers. */
final class Fixtures {

  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-01T10:00:00Z"), ZoneOffset.UTC);
  static final Translations TRANSLATIONS = new Translations(CLOCK);
  static final Backend ANTHROPIC = Backend.anthropic("claude", "https://api.anthropic.com").build();
  static final Backend BEDROCK =
      Backend.bedrock("bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com").build();
  static final Backend GEMINI =
      Backend.gemini("gemini", "https://generativelanguage.googleapis.com").build();
  static final Map<Target, Backend> BACKENDS =
      Map.of(Target.ANTHROPIC, ANTHROPIC, Target.BEDROCK, BEDROCK, Target.GEMINI, GEMINI);

  private Fixtures() {}

  static Translator translator(Target target) {
    return TRANSLATIONS.forFlavor(BACKENDS.get(target).flavor());
  }

  static TranslatedRequest translate(Target target, String openAi) {
    return translate(translator(target), utf8(openAi), "target-model", BACKENDS.get(target));
  }

  /** {@code openAi} translated by {@code translator} for {@code backend}, as the routing asks. */
  static TranslatedRequest translate(
      Translator translator, byte[] openAi, String targetModel, Backend backend) {
    return translator.translate(
        openAi, targetModel, backend.flavor(), backend.requestBaseUrl(), backend.apiVersion());
  }

  static JsonNode body(TranslatedRequest request) {
    return tree(request.body());
  }

  static JsonNode tree(byte[] json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The answer as the application reads it, the backend's body handed over in pieces of 1..7. */
  static byte[] answer(
      TranslatedRequest request, int status, byte[] backendBody, Function<String, String> headers) {
    AnswerTranslation translation = request.answer();
    InputStream body =
        translation.body(status, null, headers, new Trickle(new ByteArrayInputStream(backendBody)));
    try (body) {
      return body.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] answer(TranslatedRequest request, byte[] backendBody) {
    return answer(request, 200, backendBody, name -> null);
  }

  /** The {@code data:} payloads of an SSE body. */
  static List<String> data(byte[] sse) {
    List<String> data = new ArrayList<>();
    for (String line : new String(sse, StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    return data;
  }

  /** The content deltas of OpenAI chunks, joined. */
  static String streamedText(List<String> data) {
    StringBuilder text = new StringBuilder();
    for (String d : data) {
      if (!d.equals("[DONE]")) {
        text.append(tree(utf8(d)).at("/choices/0/delta/content").asText(""));
      }
    }
    return text.toString();
  }

  static String sse(String... eventsAndData) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < eventsAndData.length; i += 2) {
      if (eventsAndData[i] != null) {
        s.append("event: ").append(eventsAndData[i]).append('\n');
      }
      s.append("data: ").append(eventsAndData[i + 1]).append("\n\n");
    }
    return s.toString();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Hands its bytes over a few at a time, as a network read might. */
  static final class Trickle extends FilterInputStream {
    private int next = 1;

    Trickle(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      next = next % 7 + 1;
      return super.read(b, off, Math.min(len, next));
    }
  }
}
