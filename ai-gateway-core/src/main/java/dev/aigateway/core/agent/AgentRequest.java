package dev.aigateway.core.agent;

import dev.aigateway.api.LlmRequest;
import dev.aigateway.api.Operation;
import dev.aigateway.core.wire.ClientRequest;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A JSON-RPC POST to a server or agent as the gateway's key and caller resolvers see it: its
 * method, URL, headers and tags; the model is the server's or agent's name.
 */
final class AgentRequest implements LlmRequest {

  private final ClientRequest request;
  private final Operation operation;
  private final String target;

  AgentRequest(ClientRequest request, Operation operation, String target) {
    this.request = request;
    this.operation = operation;
    this.target = target;
  }

  @Override
  public Operation operation() {
    return operation;
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String url() {
    return request.url();
  }

  @Override
  public @Nullable String header(String name) {
    return request.header(name);
  }

  @Override
  public java.util.List<String> headers(String name) {
    return request.headers(name);
  }

  @Override
  public <T> @Nullable T tag(Class<? extends T> type) {
    return request.tag(type);
  }

  @Override
  public @Nullable String deployment() {
    return null;
  }

  @Override
  public String model() {
    return target;
  }

  @Override
  public boolean stream() {
    return false;
  }

  @Override
  public boolean includeUsageRequested() {
    return false;
  }

  @Override
  public OptionalLong maxOutputTokens() {
    return OptionalLong.empty();
  }

  @Override
  public int choices() {
    return 1;
  }

  @Override
  public boolean bodyUnderstood() {
    return true;
  }
}
