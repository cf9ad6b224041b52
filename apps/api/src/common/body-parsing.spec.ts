import { BodyError, jsonDepthExceeds, parseJsonBody, reservedKeyPath } from './body-parsing.js';
import { bodyErrorToBody, toBody } from './http-exception.filter.js';

describe('JSON depth scan', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(jsonDepthExceeds('[[[1]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[1]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":{"c":1}}}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":"[[[[[[[[","b":"\\"[[[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('[1],[2],[3],[4]', 1)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(1_000_000), 32)).toBe(true);
  });

  it('parses like body-parser strict mode, then refuses reserved keys naming the path', () => {
    expect(parseJsonBody('', 32)).toEqual({});
    expect(parseJsonBody(' {"a":[1]}', 32)).toEqual({ a: [1] });
    expect(() => parseJsonBody('"s"', 32)).toThrow(/object or array/);
    expect(() => parseJsonBody('{"a":', 32)).toThrow(BodyError);
    expect(() => parseJsonBody('[[[1]]]', 2)).toThrow(/deeper than 2 levels/);
    expect(reservedKeyPath(JSON.parse('{"a":{"b":[{"__proto__":1}]}}'))).toBe('a.b.0.__proto__');
    expect(reservedKeyPath({ labels: { toString: 'x' } })).toBe('labels.toString');
    expect(reservedKeyPath({ labels: { ticket: 'x' } })).toBeNull();
  });
});

describe('body errors map to their 4xx with the stable body', () => {
  const err = (props: Record<string, unknown>) => Object.assign(new Error(String(props.message ?? 'x')), props);
  it.each([
    [{ type: 'entity.too.large', status: 413 }, 400, 'body_too_large'],
    [{ type: 'entity.parse.failed', status: 400 }, 400, 'malformed_json'],
    [{ type: 'encoding.unsupported', status: 415 }, 415, 'unsupported_media_type'],
    [{ type: 'charset.unsupported', status: 415 }, 415, 'unsupported_media_type'],
    [{ type: 'request.aborted', status: 400 }, 400, 'validation_failed'],
    [{ type: 'request.size.invalid', status: 400 }, 400, 'validation_failed'],
    [{ type: 'entity.verify.failed', status: 403 }, 400, 'validation_failed'],
    [{ code: 'Z_DATA_ERROR', errno: -3, status: 400 }, 400, 'validation_failed'],
    [{ code: 'Z_BUF_ERROR', errno: -5 }, 400, 'validation_failed'],
    [{ code: 'ERR__ERROR_FORMAT_PADDING_2', status: 400 }, 400, 'validation_failed'],
    [{ status: 400, expose: true }, 400, 'validation_failed'],
  ])('%j → %i %s', (props, status, code) => {
    const [s, body] = toBody(err(props));
    expect(s).toBe(status);
    expect(body).toMatchObject({ code, details: [{ field: 'body' }] });
  });

  it('leaves other errors alone (500 with no detail)', () => {
    expect(bodyErrorToBody(new Error('boom'))).toBeNull();
    expect(toBody(new TypeError('x'))[0]).toBe(500);
    expect(toBody(err({ type: 'stream.not.readable', status: 500 }))[0]).toBe(500);
  });
});
