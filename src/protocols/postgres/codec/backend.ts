/**
 * Messages the gateway itself writes to a client while it plays the server:
 * authentication, errors, notices, session parameters, keys, ready.
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { cstring, int32, message } from './message.ts';

export const authCleartextPassword = () => message('R', int32(3));
export const authOk = () => message('R', int32(0));

export function parameterStatus(name: string, value: string): Buffer {
  return message('S', Buffer.concat([cstring(name), cstring(value)]));
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  return message('K', Buffer.concat([int32(processId), int32(secretKey)]));
}

/** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
export type TxStatus = 'I' | 'T' | 'E';
export const readyForQuery = (status: TxStatus) => message('Z', Buffer.from(status));

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'WARNING' | 'NOTICE';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function fields(f: ErrorFields): Buffer {
  const parts = [
    Buffer.from('S'), cstring(f.severity),
    Buffer.from('V'), cstring(f.severity),
    Buffer.from('C'), cstring(f.code),
    Buffer.from('M'), cstring(f.message),
  ];
  if (f.detail) parts.push(Buffer.from('D'), cstring(f.detail));
  if (f.hint) parts.push(Buffer.from('H'), cstring(f.hint));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const errorResponse = (f: ErrorFields) => message('E', fields(f));
export const noticeResponse = (f: ErrorFields) => message('N', fields(f));
