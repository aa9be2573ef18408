/**
 * Action forms: each calls one API operation and shows the API's answer where the form is: the
 * refusal (message, fields, request id) next to the button, or the page again with a confirmation.
 */
import { ApiError, api, errorBox } from './api.js';
import { h, minorDigits, toMinorUnits } from './dom.js';

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

/**
 * A form whose submit runs `run(formData)`; on success `done(result)` (usually a re-render with a
 * confirmation), on failure the error in the form.
 */
export function actionForm({ title, name, fields = [], button, run, done, inline = false }) {
  const outcome = h('div', { class: 'outcome' });
  const submit = h('button', { type: 'submit' }, button);
  const form = h(
    'form',
    {
      class: inline ? 'action inline' : 'action',
      dataset: { action: name },
      onsubmit: async (ev) => {
        ev.preventDefault();
        outcome.replaceChildren();
        submit.disabled = true;
        form.setAttribute('aria-busy', 'true');
        try {
          const result = await run(new FormData(form));
          await done(result);
        } catch (err) {
          outcome.replaceChildren(errorBox(err));
        } finally {
          submit.disabled = false;
          form.setAttribute('aria-busy', 'false');
        }
      },
    },
    title ? h('h3', {}, title) : null,
    h('div', { class: 'inputs' }, fields, submit),
    outcome,
  );
  return form;
}

/** A refusal made in the browser before anything is sent, in the API's own error shape. */
export function invalid(field, reason) {
  return new ApiError(400, { code: 'invalid_input', message: `${field}: ${reason}`, fields: [{ field, reason }] });
}

export const text = (formData, name) => String(formData.get(name) ?? '').trim();

/** An amount typed in the currency's units ("1,250.50") as minor units, or a field error. */
export function amountField(formData, name, currency) {
  const raw = text(formData, name);
  const minor = toMinorUnits(raw, currency);
  if (minor === undefined) {
    const digits = minorDigits(currency);
    throw invalid(name, `must be an amount in ${currency}${digits ? ` with at most ${digits} decimals` : ' without decimals'}, e.g. ${digits ? '1250.00' : '1250'}`);
  }
  return minor;
}

/** The late-task actions the API lists for the signed-in key on this task now: acknowledge, assign, resolve. */
export function lateTaskActions(task, done) {
  if (task.status === 'resolved') return [h('span', { class: 'muted small' }, task.resolution ?? 'resolved')];
  const path = `/late-tasks/${encodeURIComponent(task.id)}`;
  // An API without per-task actions: every form, and its refusals are the answer.
  const may = (action) => !Array.isArray(task.actions) || task.actions.includes(action);
  return [
    task.status === 'open' && may('acknowledge')
      ? actionForm({
          name: 'acknowledge',
          inline: true,
          button: 'Acknowledge',
          run: () => api('POST', `${path}/acknowledge`, { body: {} }),
          done: () => done(`Late task acknowledged: ${task.summary}`),
        })
      : null,
    may('assign') && actionForm({
      name: 'assign',
      inline: true,
      fields: [h('input', { name: 'assignee', value: task.assignee ?? '', placeholder: 'Assign to…', 'aria-label': 'Assignee', size: 12 })],
      button: 'Assign',
      run: (fd) => api('POST', `${path}/assign`, { body: { assignee: text(fd, 'assignee') } }),
      done: (r) => done(`Late task assigned to ${r?.task?.assignee ?? 'the assignee'}`),
    }),
    may('resolve') && actionForm({
      name: 'resolve',
      inline: true,
      fields: [h('input', { name: 'note', placeholder: 'What was done', 'aria-label': 'Resolution note', size: 18 })],
      button: 'Resolve',
      run: (fd) => api('POST', `${path}/resolve`, { body: { note: text(fd, 'note') } }),
      done: () => done(`Late task resolved: ${task.summary}. It has left the queue.`),
    }),
  ];
}
