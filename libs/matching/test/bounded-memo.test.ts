import { BoundedMemo } from '../src/bounded-memo';

describe('BoundedMemo', () => {
  it('computes each key once and answers again from memory', () => {
    const asked: string[] = [];
    const memo = new BoundedMemo((key) => {
      asked.push(key);
      return key.toUpperCase();
    }, 10);

    expect([memo.get('acme'), memo.get('initech'), memo.get('acme')]).toEqual(['ACME', 'INITECH', 'ACME']);
    expect(asked).toEqual(['acme', 'initech']);
    expect(memo.size).toBe(2);
  });

  it('remembers a computed undefined too', () => {
    let calls = 0;
    const memo = new BoundedMemo(() => {
      calls += 1;
      return undefined;
    }, 10);

    memo.get('x');
    memo.get('x');
    expect(calls).toBe(1);
  });

  it('forgets everything once the bound is reached, then keeps the key that came', () => {
    const asked: string[] = [];
    const memo = new BoundedMemo((key) => {
      asked.push(key);
      return key.length;
    }, 2);

    memo.get('a');
    memo.get('bb');
    expect(memo.size).toBe(2);
    expect(memo.get('ccc')).toBe(3);
    expect(memo.size).toBe(1);
    expect(memo.get('a')).toBe(1);
    expect(asked).toEqual(['a', 'bb', 'ccc', 'a']);
  });

  it('refuses a bound below one key', () => {
    expect(() => new BoundedMemo((key) => key, 0)).toThrow('a BoundedMemo keeps at least one key (given 0)');
  });
});
