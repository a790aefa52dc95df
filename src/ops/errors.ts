/** What the operator's tools (systemd notifications, reload, doctor, import) fail with: a code and a sentence for the log. */
export type OpsErrorCode = 'notify_socket_abstract' | 'notify_socket_invalid' | 'notify_failed' | 'log_level_invalid' | 'daemon_not_running' | 'daemon_other_user' | 'import_refused';

export class OpsError extends Error {
  constructor(
    readonly code: OpsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'OpsError';
  }
}
