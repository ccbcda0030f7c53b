import { parseWrkOutput, wrkScript } from '../../src/bench/wrk.js';

test('wrk script: every request pre-formatted with its path, body and Host, sent in turn', () => {
  const lua = wrkScript(
    [
      { path: '/pin', body: '{"a":"]]"}' },
      { path: '/geo', body: '{"b":1}' },
    ],
    '127.0.0.1:8080',
  );
  expect(lua).toContain('wrk.format("POST", [[/pin]], {["Content-Type"]="application/json", ["Host"]=[[127.0.0.1:8080]]}, [=[{"a":"]]"}]=])');
  expect(lua).toContain('wrk.format("POST", [[/geo]]');
  expect(lua.match(/reqs\[#reqs\+1\]/g)).toHaveLength(2);
  expect(lua).toContain('WRK_RESULT');
});

test('wrk output: the done hook line gives the counts; status errors are not ok', () => {
  const out =
    'Running 8s test @ http://127.0.0.1:1\n  1 threads and 64 connections\nWRK_RESULT {"requests":120000,"duration_us":8000000,"status":2000,"connect":0,"read":3,"write":0,"timeout":1,"p50_us":3790,"p99_us":10720,"max_us":27220}\n';
  expect(parseWrkOutput(out)).toEqual({
    requests: 120000,
    badStatus: 2000,
    socketErrors: 4,
    seconds: 8,
    okPerSecond: 14750,
    latencyMs: { p50: 3.79, p99: 10.72, max: 27.22 },
  });
});

test('wrk output without the result line is an error that shows the output', () => {
  expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/no result line: unable to connect/);
});
