import type { JobInfo, RecipientView } from '../core/jobs.js';
import type { CallbackRequest } from '../store/callbacks.js';

/** Each face that offers callbacks formats them for its own clients. */
export interface CallbackFormatter {
  /** A recipient reached a final state, or an intermediate one worth reporting. */
  status(job: JobInfo, recipient: RecipientView, at: number): CallbackRequest | null;
  /** A reply came in for a recipient of a 2-way job. */
  reply(job: JobInfo, recipient: RecipientView, text: string, at: number): CallbackRequest | null;
}

export class CallbackFormatters {
  private readonly byFace = new Map<string, CallbackFormatter>();
  register(face: string, f: CallbackFormatter): void {
    this.byFace.set(face, f);
  }
  for(face: string): CallbackFormatter | undefined {
    return this.byFace.get(face);
  }
}
