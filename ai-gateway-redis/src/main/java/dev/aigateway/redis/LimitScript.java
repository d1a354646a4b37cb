package dev.aigateway.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}); when the server does not know it (a restarted or
 * failed-over Redis answers {@code NOSCRIPT}), it is sent whole once with {@code EVAL}, which also
 * caches it there again.
 */
final class LimitScript {

  private final String text;
  private final String sha;

  private LimitScript(String text, String sha) {
    this.text = text;
    this.sha = sha;
  }

  /** The script made of a shebang line and the given resources of this package, in order. */
  static LimitScript load(String shebang, String... resources) {
    StringBuilder text = new StringBuilder(shebang).append('\n');
    for (String resource : resources) {
      try (InputStream in = LimitScript.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("script resource " + resource + " is missing");
        }
        text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException("could not read script resource " + resource, e);
      }
    }
    String script = text.toString();
    return new LimitScript(script, sha1(script));
  }

  /**
   * Sends the script without waiting for it; the returned stage completes on Lettuce's event loop
   * with the script's reply (a flat list of integers) or its failure.
   */
  @SuppressWarnings("unchecked")
  CompletableFuture<List<Object>> send(
      RedisAsyncCommands<String, String> redis, String[] keys, String[] args) {
    CompletableFuture<List<Object>> reply = new CompletableFuture<>();
    try {
      redis
          .<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
          .whenComplete(
              (list, failure) -> {
                if (failure == null) {
                  reply.complete(list);
                } else if (failure instanceof RedisNoScriptException) {
                  try {
                    redis
                        .<List<Object>>eval(text, ScriptOutputType.MULTI, keys, args)
                        .whenComplete(
                            (again, failedAgain) -> {
                              if (failedAgain == null) {
                                reply.complete(again);
                              } else {
                                reply.completeExceptionally(failedAgain);
                              }
                            });
                  } catch (RuntimeException e) {
                    reply.completeExceptionally(e);
                  }
                } else {
                  reply.completeExceptionally(failure);
                }
              });
    } catch (RuntimeException e) {
      reply.completeExceptionally(e);
    }
    return reply;
  }

  /**
   * Runs the script on the calling thread (bounded by the connection's command timeout) and returns
   * its reply, a flat list of integers; for reads off the call path (peek).
   */
  @SuppressWarnings("unchecked")
  List<Long> run(RedisCommands<String, String> redis, String[] keys, String[] args) {
    Object reply;
    try {
      reply = redis.evalsha(sha, ScriptOutputType.MULTI, keys, args);
    } catch (RedisNoScriptException unknown) {
      reply = redis.eval(text, ScriptOutputType.MULTI, keys, args);
    }
    return (List<Long>) reply;
  }

  private static String sha1(String script) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-1")
              .digest(script.getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder(40);
      for (byte b : digest) {
        hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      }
      return hex.toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }
}
