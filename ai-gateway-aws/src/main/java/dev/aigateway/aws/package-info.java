/**
 * AWS credentials from the AWS SDK for Java 2.x for the gateway's request signing ({@link
 * dev.aigateway.core.aws.AwsSigV4}): {@link dev.aigateway.aws.AwsSdkCredentials#defaultChain()}
 * adapts the SDK's {@code DefaultCredentialsProvider} (environment, system properties, the shared
 * profile files, SSO, web identity, container and instance roles), and {@link
 * dev.aigateway.aws.AwsSdkCredentials#from} any other SDK provider. An optional module, so that
 * applications that sign with static or environment credentials do not carry the SDK.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.aws;

import org.jspecify.annotations.NullMarked;
